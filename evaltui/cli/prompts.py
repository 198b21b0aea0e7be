"""`evaltui prompts add|list|show|diff`: prompts as versioned things in the database.
Only click is imported at module level."""

from __future__ import annotations

from pathlib import Path
import click

from evaltui.cli.common import UserError, db_option, open_store, user_errors


@click.group()
def prompts() -> None:
    """Prompts and their versions (a new content hash is a new version)."""


@prompts.command("add")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--role",
    default="system",
    show_default=True,
    help="The role of a plain-text file's one message (YAML files say their own).",
)
@db_option
@user_errors
def prompts_add(name: str, file: Path, role: str) -> None:
    """Add FILE (text, or YAML: messages with {{variables}}, model, params) as NAME's next version."""
    from evaltui.prompts.versions import add_prompt_file

    if not file.exists():
        raise UserError(f"no file at {file}")
    with open_store() as store:
        version, new = add_prompt_file(store, name, file, role=role)
    if new:
        click.echo(f"prompt {name}: version {version.version} ({version.hash})")
    else:
        click.echo(f"prompt {name}: unchanged, the content of version {version.version} ({version.hash})")


@prompts.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per prompt.")
@db_option
@user_errors
def prompts_list(as_json: bool) -> None:
    """Every prompt with its versions and the experiments that ran each."""
    from evaltui.store.prompts import list_prompts

    with open_store(read_only=True) as store:
        rows = list_prompts(store)
    from evaltui.cli.render import echo_json, print_prompts

    if as_json:
        for r in rows:
            echo_json(r)
        return
    if not rows:
        click.echo("no prompts yet: evaltui prompts add NAME FILE")
        return
    print_prompts(rows)


@prompts.command("show")
@click.argument("name")
@click.option(
    "--version", "version", default=None, metavar="V", help="A version number or content hash (default: the latest)."
)
@click.option("--json", "as_json", is_flag=True, help="The version as one JSON object.")
@db_option
@user_errors
def prompts_show(name: str, version: str | None, as_json: bool) -> None:
    """One version of a prompt: its messages, model and parameters."""
    from evaltui.store.prompts import require_version

    with open_store(read_only=True) as store:
        v = require_version(store, name, version)
    if as_json:
        from evaltui.cli.render import echo_json

        echo_json(
            {
                "name": v.name,
                "version": v.version,
                "hash": v.hash,
                "source": v.source,
                "created": v.created,
                **v.content,
            }
        )
        return
    from evaltui.prompts.template import PromptContent

    click.echo(f"{v.name} v{v.version} ({v.hash})" + (f" from {v.source}" if v.source else ""))
    for line in PromptContent.from_json(v.content).text_lines():
        click.echo(f"  {line}")


@prompts.command("diff")
@click.argument("name")
@click.argument("v1", required=False)
@click.argument("v2", required=False)
@click.option("--json", "as_json", is_flag=True, help="The diff as one JSON object.")
@db_option
@user_errors
def prompts_diff(name: str, v1: str | None, v2: str | None, as_json: bool) -> None:
    """Lines added and removed from V1 to V2 (default: the previous version to the latest)."""
    from evaltui.prompts.template import PromptContent, unified_diff
    from evaltui.store.prompts import require_version, versions

    with open_store(read_only=True) as store:
        if v1 is None:
            found = versions(store, name)
            if len(found) < 2:
                require_version(store, name)  # says there is no such prompt
                raise UserError(f"prompt {name!r} has one version: nothing to diff")
            old, new = found[-2], found[-1]
        else:
            old, new = require_version(store, name, v1), require_version(store, name, v2)
    label = lambda v: f"{name} v{v.version} ({v.hash})"  # noqa: E731
    lines, added, removed = unified_diff(
        PromptContent.from_json(old.content), PromptContent.from_json(new.content), label(old), label(new)
    )
    if as_json:
        from evaltui.cli.render import echo_json

        echo_json(
            {
                "name": name,
                "base": {"version": old.version, "hash": old.hash},
                "candidate": {"version": new.version, "hash": new.hash},
                "added": added,
                "removed": removed,
                "diff": lines,
            }
        )
        return
    from evaltui.cli.render import print_prompt_diff

    print_prompt_diff(
        {
            "name": name,
            "added": added,
            "removed": removed,
            "diff": lines,
            "base": {"version": old.version, "hash": old.hash},
            "candidate": {"version": new.version, "hash": new.hash},
        }
    )
