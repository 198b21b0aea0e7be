"""The `evaltui` command line. Heavy modules are imported inside each command so
`evaltui --help` starts fast."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from evaltui.errors import StoreError

# Exit codes, one scheme for every command (README "Exit codes"):
EXIT_FAILED = 1        # nothing was done: every case, span or line failed (or diff found a regression)
EXIT_BAD_INPUT = EXIT_FAILED  # the name other modules import
EXIT_USAGE = 2         # a user error: bad option, filter, file or name; nothing was done
EXIT_PARTIAL = 3       # some cases, spans or lines failed; the others are stored
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


def exit_for(done: int, failed: int) -> None:
    """End the command with 1 when everything failed and 3 when some did; return when
    nothing failed."""
    if failed:
        raise click.exceptions.Exit(EXIT_PARTIAL if done else EXIT_FAILED)


class _Commands(click.Group):
    """The `evaltui` group: Ctrl-C ends any command with one line and exit 130.

    Commands commit as they go, so what finished is kept; click's own handling would
    print "Aborted!" and exit 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("interrupted: what finished is stored; run the same command again to go on", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


class UserError(click.ClickException):
    """One line on stderr, no traceback."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can cause into one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.ingest import IngestError
        from evaltui.store.filters import FilterError

        try:
            return fn(*args, **kwargs)
        except FilterError as exc:
            raise UserError(f"{exc}\n  {exc.pointer().replace(chr(10), chr(10) + '  ')}") from None
        except (StoreError, IngestError) as exc:
            raise UserError(str(exc)) from None
        except OSError as exc:
            raise UserError(f"{exc.filename or ''}: {exc.strerror or exc}") from None

    return wrapper


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--db PATH` on every command (it may also be given before the command)."""

    def remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.ensure_object(dict)["db"] = value
        return value

    return click.option(
        "--db", "db", metavar="PATH", default=None, expose_value=False, callback=remember, is_eager=True,
        help="Database file (default: $EVALTUI_DB or ./evaltui.duckdb).",
    )(fn)


def open_store(read_only: bool = False):
    from evaltui.store import Store

    ctx = click.get_current_context()
    path = (ctx.find_root().obj or {}).get("db")
    return Store(path, read_only=read_only)


@click.group(cls=_Commands, invoke_without_command=True)
@click.version_option(package_name="evaltui")
@db_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """evaltui: find a problem in production logs, make it a dataset, evaluate a fix."""
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(tui)
        else:  # piped or scripted: the app needs a terminal, so say what there is
            click.echo(ctx.get_help())


@main.command()
@db_option
@user_errors
def tui() -> None:
    """Open the terminal app (also what `evaltui` alone does)."""
    from evaltui.dbpath import missing_db_message, resolve_db_path  # not DuckDB: it loads beside Textual (tui.startup)

    path = resolve_db_path((click.get_current_context().find_root().obj or {}).get("db"))
    if not path.exists():
        raise UserError(missing_db_message(path))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError("the terminal app needs a terminal; use `evaltui logs` or `evaltui stats` in scripts")
    from evaltui.tui import run  # brings an older file up to date first, then the app only reads

    code = run(path)
    if code:  # the app died from an exception (Textual printed it): never report success
        raise click.exceptions.Exit(code)


# -- ingest --------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format", "fmt", default="auto", show_default=True,
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
    with open_store() as store:
        if follow:
            _follow(store, files[0], fmt)
            return
        kept = skipped = added = partial = 0
        for path in files:
            try:
                with _progress_bar(path) as progress:
                    report = ingest_file(store, path, fmt, progress=progress)
            except IngestError as exc:
                click.echo(f"error: {exc}", err=True)
                skipped += 1
                continue
            for bad in report.bad:
                click.echo(str(bad), err=True)
            if report.changed:
                click.echo(f"{report.path}: {report.changed} spans were already stored with other content; "
                           "the stored copies are kept (a stored span is never replaced)", err=True)
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
            from evaltui.cli_topics import assign_after_ingest

            assign_after_ingest(store)
        exit_for(kept, skipped + partial)


def _follow(store: Any, path: Path, fmt: str) -> None:
    import threading

    from evaltui.ingest import follow_file

    stop = threading.Event()

    def show(report: Any) -> None:
        for bad in report.bad:
            click.echo(str(bad), err=True)
        click.echo(f"{report.path}: +{report.added} spans, skipped {report.skipped}", err=True)

    click.echo(f"following {path} (Ctrl-C to stop)", err=True)
    try:
        follow_file(store, path, fmt, stop=stop, on_report=show)
    except KeyboardInterrupt:
        stop.set()


class _progress_bar:
    """A progress bar on a terminal for files over a few MB; nothing otherwise."""

    def __init__(self, path: Path) -> None:
        self.enabled = sys.stderr.isatty() and path.exists() and path.stat().st_size > 8_000_000
        self.path = path
        self.bar: Any = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[n]}"),
                            TimeElapsedColumn(), transient=True)
        self.bar.start()
        task = self.bar.add_task(str(self.path), total=1.0, n="")

        def update(_path: str, records: int, fraction: float | None) -> None:
            fields = {"n": f"{records:,} spans" if records else ""}
            if fraction is not None:
                self.bar.update(task, completed=fraction, **fields)
            else:
                self.bar.update(task, **fields)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


# -- logs and stats ------------------------------------------------------------


@main.command()
@click.option("--where", "where", default="", metavar="FILTER", help='Filter, e.g. \'topic = "billing" and scores.brand_alignment <= 0.5\'.')
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--all-spans", is_flag=True, help="List every span, not only root conversations.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per span.")
@db_option
@user_errors
def logs(where: str, limit: int, all_spans: bool, as_json: bool) -> None:
    """List matching spans, newest first."""
    from evaltui.store import logs as log_queries
    from evaltui.store.filter_names import check_names

    with open_store(read_only=True) as store:
        check_names(store, where)  # a misspelt scorer or topic would match nothing, silently
        page = log_queries.query_page(store, where, limit=limit, roots_only=not all_spans)
        rows = page.to_pylist()
        if as_json:
            from evaltui.output import span_json

            for row in rows:
                click.echo(span_json(row))
            return
        total = log_queries.count(store, where, roots_only=not all_spans)
    from evaltui.output import print_spans_table

    print_spans_table(rows, total)


@main.command()
@click.option("--where", "where", default="", metavar="FILTER", help="Only conversations matching this filter.")
@click.option("--by", "by", default="topic", metavar="metadata.KEY",
              help="topic, group (the topic map's groups), or a metadata key (model, prompt_version...).")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@db_option
@user_errors
def stats(where: str, by: str, as_json: bool) -> None:
    """Per topic (or metadata key): conversations and the mean of each score."""
    from evaltui.store import logs as log_queries
    from evaltui.store.filter_names import check_names
    from evaltui.topics.changes import map_staleness

    with open_store(read_only=True) as store:
        check_names(store, where)
        staleness = map_staleness(store)
        if by in ("topic", "group"):
            keys, rows = log_queries.topic_stats(store, where, by)
        else:
            keys, groups = log_queries.group_stats(store, where, by.removeprefix("metadata."))
    if by not in ("topic", "group"):
        if as_json:
            import orjson

            click.echo(orjson.dumps({"scorers": keys, "by": by, "groups": groups}).decode())
            return
        rows = [{**g, "topic": "(none)" if g["value"] is None else str(g["value"])} for g in groups]
    elif as_json:
        import orjson

        click.echo(orjson.dumps({"scorers": keys, "by": by, "topics": rows,
                                 "stale_map": None if staleness is None else staleness.stale}).decode())
        return
    from evaltui.cli_topics import stale_notice
    from evaltui.output import print_stats_table

    print_stats_table(keys, rows, by)
    stale_notice(staleness)


# -- demo ----------------------------------------------------------------------


@main.command()
@click.option("--fresh/--reuse", default=True, show_default=True, help="Start from an empty demo database.")
@click.option("--no-tui", is_flag=True, help="Print each step's outcome instead of opening the app at the end.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object (implies --no-tui).")
@click.option("--conversations", type=click.IntRange(min=100), default=None, hidden=True,
              help="A reduced, freshly generated sample of this many conversations (for tests).")
@db_option
@user_errors
def demo(fresh: bool, no_tui: bool, as_json: bool, conversations: int | None) -> None:
    """Run the eval improvement loop on the sample logs, offline, then open the app on it.

    Ingest, topic map, worst topic, dataset, baseline and fix, calibration of the judge,
    re-scoring, and the next week of logs. Uses --db if given, else evaltui-demo.duckdb,
    so your own database is never touched.
    """
    import sys

    from evaltui.demo.run import run_demo

    ctx = click.get_current_context()
    db = (ctx.find_root().obj or {}).get("db") or "evaltui-demo.duckdb"
    tui = not (no_tui or as_json) and sys.stdout.isatty() and sys.stdin.isatty()
    out = run_demo(Path(db), fresh=fresh, as_json=as_json, tui=tui, quiet=tui, conversations=conversations,
                   echo=lambda m: click.echo(m, err=True))
    if out.get("app_exit_code"):  # the app died from an exception: never report success
        raise click.exceptions.Exit(out["app_exit_code"])


@main.command()
@click.argument("experiments", nargs=-1, required=True)
@click.option("--scorer", "scorer", required=True, metavar="NAME",
              help="The judge to grade with, e.g. brand_alignment_offline (see `evaltui score --help`).")
@db_option
@user_errors
def rescore(experiments: tuple[str, ...], scorer: str) -> None:
    """Grade the stored outputs of EXPERIMENTS again with another scorer (no task re-run).

    The new grades sit next to the run's under the scorer's name and version, so
    `evaltui diff` compares both; a second run with the same scorer version does nothing.
    """
    from evaltui.evals.rescore import rescore_experiment
    from evaltui.scoring import ScorerSetupError, resolve

    done = failed = 0
    with open_store() as store:
        try:
            spec = resolve(scorer, store=store)
        except ScorerSetupError as exc:
            raise UserError(str(exc)) from None
        for name in experiments:
            report = rescore_experiment(store, name, spec)
            click.echo(report.summary())
            done, failed = done + report.scored, failed + report.errors
    exit_for(done, failed)


from evaltui.cli_evals import register as _register_evals  # noqa: E402

_register_evals(main)

from evaltui.cli_scoring import register as _register_scoring  # noqa: E402

_register_scoring(main)

from evaltui.cli_topics import register as _register_topics  # noqa: E402

_register_topics(main)
from evaltui.cli_views import register as _register_views; _register_views(main)  # noqa: E402, E702
