"""`evaltui ingest`: load log files (or follow one) into the database."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from evaltui.cli.common import UserError, db_option, exit_for, open_store, user_errors
from evaltui.progress import ProgressBar

if TYPE_CHECKING:
    from evaltui.store.db import Store


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "evaltui", "openai", "braintrust", "langfuse", "otel", "csv"]),
    help="Input format; auto detects it from the file's start.",
)
@click.option("--follow", is_flag=True, help="Keep reading lines appended to the file until interrupted.")
@db_option
@user_errors
def ingest(files: tuple[Path, ...], fmt: str, follow: bool) -> None:
    """Load log files into the database. Bad lines are reported as FILE:LINE: reason."""
    from evaltui.ingest import IngestError, ingest_file

    if follow and len(files) != 1:
        raise UserError("--follow takes exactly one file")
    if follow:
        open_store().close()  # create or upgrade the file now, and fail early if it cannot be opened
        _follow(open_store, files[0], fmt)  # the file is opened per chunk of new lines, not held
        return
    with open_store() as store:
        kept = skipped = added = partial = 0
        for path in files:
            try:
                with _file_progress(path) as progress:
                    report = ingest_file(store, path, fmt, progress=progress)
            except IngestError as exc:
                click.echo(f"error: {exc}", err=True)
                skipped += 1
                continue
            for bad in report.bad:
                click.echo(str(bad), err=True)
            if report.changed:
                click.echo(
                    f"{report.path}: {report.changed} spans were already stored with other content; "
                    "the stored copies are kept (a stored span is never replaced)",
                    err=True,
                )
            kept, skipped, added = kept + report.kept, skipped + report.skipped, added + report.added
            partial += report.scores_skipped
            dropped = f", scores skipped {report.scores_skipped}" if report.scores_skipped else ""
            click.echo(
                f"{report.path} ({report.format}): kept {report.kept}, skipped {report.skipped}{dropped}, "
                f"new spans {report.added}, new scores {report.scores_added}"
            )
        if len(files) > 1:
            click.echo(f"total: kept {kept}, skipped {skipped}, new spans {added}")
        if added:  # new conversations join the topic map, if there is one (a cheap no-op otherwise)
            from evaltui.cli.topics import assign_after_ingest

            assign_after_ingest(store)
        exit_for(kept, skipped + partial)


def _follow(open_db: Callable[[], Store], path: Path, fmt: str) -> None:
    """``open_db`` opens the database for each chunk of new lines."""
    import threading

    from evaltui.ingest import follow_file

    stop = threading.Event()

    def show(report: Any) -> None:
        for bad in report.bad:
            click.echo(str(bad), err=True)
        click.echo(f"{report.path}: +{report.added} spans, skipped {report.skipped}", err=True)

    click.echo(f"following {path} (Ctrl-C to stop)", err=True)
    try:
        follow_file(open_db, path, fmt, stop=stop, on_report=show)
    except KeyboardInterrupt:
        stop.set()


class _file_progress:
    """A progress bar on a terminal for files over a few MB; no callback otherwise."""

    def __init__(self, path: Path) -> None:
        enabled = sys.stderr.isatty() and path.exists() and path.stat().st_size > 8_000_000
        self.bar = ProgressBar(str(path), total=1.0, counted=False, note=True, enabled=enabled)

    def __enter__(self):
        if not self.bar.enabled:
            return None
        self.bar.start()

        def update(_path: str, records: int, fraction: float | None) -> None:
            self.bar.update(completed=fraction, note=f"{records:,} spans" if records else "")

        return update

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()
