"""`evaltui tui | demo`: the terminal app, and the whole loop on the sample logs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evaltui.cli.common import UserError, db_option, db_path, user_errors


@click.command()
@db_option
@user_errors
def tui() -> None:
    """Open the terminal app (also what `evaltui` alone does)."""
    from evaltui.dbpath import missing_db_message, resolve_db_path  # not DuckDB: it loads beside Textual (tui.startup)

    path = resolve_db_path(db_path())
    if not path.exists():
        raise UserError(missing_db_message(path))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the terminal app needs a terminal; use `evaltui logs` or `evaltui stats` in scripts")
    from evaltui.tui import run  # brings an older file up to date first, then the app only reads

    code = run(path)
    if code:  # the app died from an exception (Textual printed it): never report success
        raise click.exceptions.Exit(code)


@click.command()
@click.option("--fresh/--reuse", default=True, show_default=True, help="Start from an empty demo database.")
@click.option("--no-tui", is_flag=True, help="Print each step's outcome instead of opening the app at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object (implies --no-tui).")
@click.option(
    "--conversations",
    type=click.IntRange(min=100),
    default=None,
    hidden=True,
    help="A reduced, freshly generated sample of this many conversations (for tests).",
)
@db_option
@user_errors
def demo(fresh: bool, no_tui: bool, as_json: bool, conversations: int | None) -> None:
    """Run the eval improvement loop on the sample logs, offline, then open the app on it.

    Ingest, topic map, worst topic, dataset, baseline and fix, calibration of the judge,
    re-scoring, and the next week of logs. Uses --db if given, else evaltui-demo.duckdb,
    so your own database is never touched.
    """
    from evaltui.demo.run import run_demo

    db = db_path() or "evaltui-demo.duckdb"
    tui = not (no_tui or as_json) and sys.stdout.isatty() and sys.stdin.isatty()
    out = run_demo(
        Path(db),
        fresh=fresh,
        as_json=as_json,
        tui=tui,
        quiet=tui,
        conversations=conversations,
        echo=lambda m: click.echo(m, err=True),
    )
    if out.get("app_exit_code"):  # the app died from an exception: never report success
        raise click.exceptions.Exit(out["app_exit_code"])
