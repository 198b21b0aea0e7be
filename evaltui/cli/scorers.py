"""`evaltui scorers add|list|show`: scorers kept in the database under a slug, which
`init_function(project_name=..., slug=...)` returns and `--scorer SLUG` names. Only click
is imported at module level."""

from __future__ import annotations

import click

from evaltui.cli.common import db_option, open_store, user_errors


@click.group()
def scorers() -> None:
    """Scorers stored by slug (a rubric file or a module:attr scorer)."""


@scorers.command("add")
@click.argument("slug")
@click.argument("source")
@click.option("--project", default=None, help="A project label kept with it.")
@db_option
@user_errors
def scorers_add(slug: str, source: str, project: str | None) -> None:
    """Store SOURCE (RUBRIC.yaml / .toml, or module:attr) under SLUG; new content is a new version."""
    from evaltui.scoring.stored import add_scorer

    with open_store() as store:
        row, new = add_scorer(store, slug, source, project=project)
    state = f"version {row.version}" if new else f"unchanged, the content of version {row.version}"
    click.echo(f"scorer {slug}: {state} ({row.kind}, {row.hash})")


@scorers.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per scorer.")
@db_option
@user_errors
def scorers_list(as_json: bool) -> None:
    """Every stored scorer at its latest version."""
    from evaltui.store.stored_scorers import list_scorers

    with open_store(read_only=True) as store:
        rows = list_scorers(store)
    from evaltui.cli.render import echo_json

    for r in rows:
        if as_json:
            echo_json(
                {
                    "slug": r.slug,
                    "version": r.version,
                    "hash": r.hash,
                    "kind": r.kind,
                    "project": r.project,
                    "source": r.source,
                    "created": r.created,
                }
            )
        else:
            click.echo(f"{r.slug}\tv{r.version}\t{r.kind}\t{r.source or ''}")
    if not rows and not as_json:
        click.echo("no stored scorers yet: evaltui scorers add SLUG RUBRIC.yaml")


@scorers.command("show")
@click.argument("slug")
@click.option("--version", "version", type=int, default=None, help="A version number (default: the latest).")
@db_option
@user_errors
def scorers_show(slug: str, version: int | None) -> None:
    """A stored scorer's rubric text (or module:attr)."""
    from evaltui.store.stored_scorers import require

    with open_store(read_only=True) as store:
        row = require(store, slug, version)
    click.echo(f"{row.slug} v{row.version} ({row.kind}, {row.hash})" + (f" from {row.source}" if row.source else ""))
    click.echo(row.content.rstrip("\n"))
