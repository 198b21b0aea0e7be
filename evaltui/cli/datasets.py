"""`evaltui datasets create | add | remove | list | show | export | import`: step 2 of the
loop, datasets from the logs or from files.

Only click is imported here; everything heavy is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Callable

import click

from evaltui.cli.common import UserError, db_option, exit_for, open_store, user_errors
from evaltui.model import Bucket


@click.group("datasets")
def datasets() -> None:
    """Datasets from logs or files: create, add, remove, list, show, import, export."""


def _sample_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed(
        [
            click.option(
                "--where", "where", default="", metavar="FILTER", help="Which conversations (the logs filter language)."
            ),
            click.option(
                "--failing", type=click.IntRange(min=0), default=None, metavar="N", help="Take N failing cases."
            ),
            click.option(
                "--borderline", type=click.IntRange(min=0), default=None, metavar="M", help="Take M borderline cases."
            ),
            click.option(
                "--passing", type=click.IntRange(min=0), default=None, metavar="K", help="Take K passing cases."
            ),
            click.option("--seed", default=0, show_default=True, help="Seed of the stratified sample."),
            click.option(
                "--scorer",
                "scorers",
                multiple=True,
                metavar="NAME",
                help="Bucket by these scorers only (default: all).",
            ),
            click.option("--expected-from-output", is_flag=True, help="Use each span's output as the expected output."),
        ]
    ):
        fn = opt(fn)
    return fn


def _print_suggestion(name: str, suggestion: Any, version: int | None, *, exists: bool = True) -> None:
    parts = [f"{b} {suggestion.taken.get(b, 0)} of {suggestion.matched[b]}" for b in Bucket if b in suggestion.matched]
    made = (
        f"version {version}"
        if version
        else "no change (the records are there already)"
        if exists
        else "not created (nothing to add)"
    )
    click.echo(f"{name}: {made}: " + (", ".join(parts) if parts else "no conversation matches"))


@datasets.command("create")
@click.argument("name")
@_sample_options
@click.option("--project", default=None, help="A project label.")
@db_option
@user_errors
def datasets_create(
    name: str,
    where: str,
    failing: int | None,
    borderline: int | None,
    passing: int | None,
    seed: int,
    scorers: tuple[str, ...],
    expected_from_output: bool,
    project: str | None,
) -> None:
    """Make dataset NAME from the conversations matching --where.

    Without counts every match is taken; with them, a seeded stratified sample.
    """
    from evaltui.curation.dataset import create_from_logs

    with open_store() as store:
        info, suggestion, version = create_from_logs(
            store,
            name,
            where,
            failing=failing,
            borderline=borderline,
            passing=passing,
            seed=seed,
            scorers=list(scorers) or None,
            expected_from_output=expected_from_output,
            project=project,
        )
    _print_suggestion(name, suggestion, version, exists=info is not None)


@datasets.command("add")
@click.argument("name")
@_sample_options
@db_option
@user_errors
def datasets_add(
    name: str,
    where: str,
    failing: int | None,
    borderline: int | None,
    passing: int | None,
    seed: int,
    scorers: tuple[str, ...],
    expected_from_output: bool,
) -> None:
    """Add matching conversations to dataset NAME as a new version."""
    from evaltui.curation.dataset import create_from_logs
    from evaltui.store.datasets import require_dataset

    with open_store() as store:
        require_dataset(store, name)
        _, suggestion, version = create_from_logs(
            store,
            name,
            where,
            failing=failing,
            borderline=borderline,
            passing=passing,
            seed=seed,
            scorers=list(scorers) or None,
            expected_from_output=expected_from_output,
            add=True,
        )
    _print_suggestion(name, suggestion, version)


@datasets.command("remove")
@click.argument("name")
@click.argument("record_ids", nargs=-1, required=True)
@db_option
@user_errors
def datasets_remove(name: str, record_ids: tuple[str, ...]) -> None:
    """Remove records from dataset NAME as a new version (older versions keep them)."""
    from evaltui.store import datasets as ds_store

    with open_store() as store:
        info = ds_store.require_dataset(store, name)
        version = ds_store.new_version(store, info.id, remove=record_ids, note=f"remove {len(record_ids)}")
    click.echo(f"{name}: version {version}" if version else f"{name}: no change (no such records)")


@datasets.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset.")
@db_option
@user_errors
def datasets_list(as_json: bool) -> None:
    """Datasets with their latest version and record count."""
    from dataclasses import asdict

    from evaltui.store.datasets import list_datasets

    with open_store(read_only=True) as store:
        rows = [asdict(d) for d in list_datasets(store)]
    from evaltui.cli.render import echo_json, print_datasets

    if as_json:
        for r in rows:
            r.pop("id")
            echo_json(r)
        return
    print_datasets(rows)


@datasets.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="An older version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@db_option
@user_errors
def datasets_show(name: str, version: int | None, as_json: bool) -> None:
    """The records of a dataset version, with their bucket and origin span."""
    from evaltui.curation.dataset import load_records
    from evaltui.store.datasets import versions

    with open_store(read_only=True) as store:
        info, v, records = load_records(store, name, version)
        history = versions(store, info.id)
    from evaltui.cli.render import echo_json, print_dataset

    if as_json:
        for r in records:
            echo_json(r)
        return
    print_dataset(name, v, info.version, records, history)


@datasets.command("export")
@click.argument("name")
@click.option("--format", "fmt", required=True, type=click.Choice(["jsonl", "csv", "parquet", "braintrust"]))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write (default, or -: stdout).",
)
@click.option("--version", "version", type=int, default=None, help="An older version (default: the latest).")
@db_option
@user_errors
def datasets_export(name: str, fmt: str, output: Path | None, version: int | None) -> None:
    """Write a dataset version to stdout or -o FILE as JSONL, CSV, Parquet or Braintrust rows."""
    import sys

    from evaltui.curation.dataset import export_file

    # The dataset's name never becomes a path: a name such as ../victim must not choose a file.
    to_stdout = output is None or str(output) == "-"
    if to_stdout and fmt == "parquet" and sys.stdout.isatty():
        raise UserError("Parquet is binary: give -o FILE, or redirect stdout to a file")
    with open_store(read_only=True) as store:
        if to_stdout:
            sys.stdout.flush()
            n = export_file(store, name, sys.stdout.buffer, fmt, version=version)
            sys.stdout.buffer.flush()
        else:
            assert output is not None  # not stdout: a path was given
            n = export_file(store, name, output, fmt, version=version)
    click.echo(f"{name}: {n} records -> {'stdout' if to_stdout else output}", err=True)


@datasets.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "jsonl", "csv", "parquet", "braintrust"]),
)
@db_option
@user_errors
def datasets_import(name: str, file: Path, fmt: str) -> None:
    """Add the records of FILE to dataset NAME (created if missing) as a new version.

    Bad lines are reported as FILE:LINE: reason and skipped; the good ones are kept.
    """
    from evaltui.curation.dataset import import_file

    with open_store() as store:
        _, report, version = import_file(store, name, file, fmt)
    for bad in report.bad:
        click.echo(bad, err=True)
    click.echo(
        f"{name}: {'version ' + str(version) if version else 'no change'}: kept {len(report.records)}, "
        f"skipped {len(report.bad)}"
    )
    exit_for(len(report.records), len(report.bad))
