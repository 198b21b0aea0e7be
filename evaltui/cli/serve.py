"""`evaltui serve`: receive OpenTelemetry traces (OTLP/HTTP) into the database."""

from __future__ import annotations

import click

from evaltui.cli.common import UserError, db_option, db_path, user_errors


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=4318,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (4318 is OTLP/HTTP's; 0 picks a free one).",
)
@click.option(
    "--spool",
    "spool_dir",
    metavar="DIR",
    default=None,
    help="Write-ahead spool folder (default: the database path + .spool).",
)
@click.option(
    "--commit-every",
    default=0.5,
    show_default=True,
    type=click.FloatRange(min=0.01),
    help="Seconds between commits; the file is free for other processes in between.",
)
@click.option(
    "--max-spool-mb",
    default=256,
    show_default=True,
    type=click.IntRange(min=1),
    help="Received but not yet committed; beyond it requests get 503 with Retry-After.",
)
@click.option(
    "--online/--no-online",
    default=True,
    show_default=True,
    help="After each commit, file new conversations under the active topic map and run the stored scoring rules.",
)
@click.option(
    "--online-share",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0.01, 1.0),
    help="While spans wait to be committed, the online work gets at most this share of the file's time "
    "(all of it when the committer is idle).",
)
@click.option(
    "--retry-every",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds before failed judgements are tried again.",
)
@click.option(
    "--commit-process/--commit-in-process",
    default=False,
    show_default=True,
    help="Run the commits' SQL in a child process, so requests are decoded while a commit holds the file "
    "(uses the second core; on a machine already busy it made holds longer: docs/live-capture.md).",
)
@db_option
@user_errors
def serve(
    host: str,
    port: int,
    spool_dir: str | None,
    commit_every: float,
    max_spool_mb: int,
    online: bool,
    online_share: float,
    retry_every: float,
    commit_process: bool,
) -> None:
    """Receive traces on POST /v1/traces (protobuf or JSON, gzip) until interrupted.

    Point an instrumented app at it: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318.
    A 2xx reply means the spans are on disk; they reach the database within a second
    or so, while the app and other commands keep working on it. Then, off the receive
    path (a child process, in turns on the file bounded by --online-share while spans
    wait), new conversations are filed under the active topic map and the stored
    scoring rules (`evaltui rules`) score the new turns, with the response cache.
    """
    import signal
    import threading

    from evaltui.collect import Collector, Limits
    from evaltui.dbpath import resolve_db_path
    from evaltui.store import Store

    path = resolve_db_path(db_path())
    Store(path).close()  # create or upgrade the file now, and fail early if it cannot be opened
    try:
        collector = Collector(
            path,
            spool_dir or f"{path}.spool",
            host=host,
            port=port,
            limits=Limits(max_spool_bytes=max_spool_mb * 1024 * 1024),
            commit_interval=commit_every,
            work=online,
            retry_seconds=retry_every,
            online_share=online_share,
            commit_process=commit_process,
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if collector.spool.pending_bytes:
        click.echo(f"replaying {collector.spool.pending_bytes} bytes left in {collector.spool.folder}", err=True)
    collector.start()
    bound_host, bound_port = collector.address
    click.echo(
        f"evaltui serve: listening on http://{bound_host}:{bound_port}/v1/traces (database {path}; Ctrl-C to stop)",
        err=True,
    )
    while not stop.wait(0.5):
        pass
    click.echo("stopping: committing what was received...", err=True)
    collector.stop()
    st = collector.status()
    left = f"; {st['spool_bytes']} bytes left in the spool for the next start" if st["spool_bytes"] else ""
    click.echo(
        f"stopped: {st['spans_accepted']} spans received, {st['spans_committed']} new stored, "
        f"{st['malformed']} malformed requests{left}",
        err=True,
    )
    if online:
        click.echo(
            f"online work: {st['conversations_filed']} conversations filed, {st['turns_scored']} turns scored, "
            f"{st['score_failures']} judgements failed",
            err=True,
        )
