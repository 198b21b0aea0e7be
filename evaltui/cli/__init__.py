"""The `evaltui` command line: the group here, one module per command group beside it,
what every command shares in `common`, and all printing in `render`.

Only click is imported at start; heavy modules are imported inside each command so
`evaltui --help` starts fast.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from evaltui.cli import (
    align,
    app,
    datasets,
    evals,
    ingest,
    logs,
    pairwise,
    prompts,
    review,
    scorers,
    scoring,
    serve,
    topics,
    views,
)
from evaltui.cli.common import ExitCode, UserError, db_option, open_store, user_errors

__all__ = ["ExitCode", "UserError", "db_option", "main", "open_store", "user_errors"]


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
            raise click.exceptions.Exit(ExitCode.INTERRUPTED) from None


@click.group(cls=_Commands, invoke_without_command=True)
@click.version_option(package_name="evaltui")
@db_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """evaltui: find a problem in production logs, make it a dataset, evaluate a fix."""
    ctx.ensure_object(dict)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(app.tui)
        else:  # piped or scripted: the app needs a terminal, so say what there is
            click.echo(ctx.get_help())


for _command in (
    app.tui,
    app.demo,
    ingest.ingest,
    serve.serve,
    logs.logs,
    logs.stats,
    topics.topics,
    scoring.score,
    scoring.rescore,
    scoring.rules,
    scoring.label,
    scoring.calibrate,
    align.align,
    review.review,
    datasets.datasets,
    evals.eval_command,
    evals.experiments,
    evals.diff,
    pairwise.pairwise,
    views.views,
    prompts.prompts,
    scorers.scorers,
):
    main.add_command(_command)
