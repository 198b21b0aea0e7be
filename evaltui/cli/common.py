"""What every command shares: the exit codes, the one-line user error, the decorators
that turn the errors a user can cause into it, the `--db` option and opening the store.

Only click is imported here; the error classes are looked up when an error happens.
"""

from __future__ import annotations

import enum
import functools
from typing import Any, Callable

import click

from evaltui.errors import StoreError


class ExitCode(enum.IntEnum):
    """One scheme for every command (README "Exit codes")."""

    OK = 0
    FAILED = 1  # nothing was done: every case, span or line failed
    REGRESSION = 1  # `diff --fail-on-regression` found a regression (the same code)
    USAGE = 2  # a user error: bad option, filter, file or name; nothing was done
    PARTIAL = 3  # some cases, spans or lines failed; the others are stored
    INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


def exit_for(done: int, failed: int) -> None:
    """End the command with 1 when everything failed and 3 when some did; return when
    nothing failed."""
    if failed:
        raise click.exceptions.Exit(ExitCode.PARTIAL if done else ExitCode.FAILED)


class UserError(click.ClickException):
    """One line on stderr, no traceback."""

    exit_code = ExitCode.USAGE

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


def eval_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One-line messages for eval errors, on top of the shared ones."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.evals.runner import EvalError

        try:
            return fn(*args, **kwargs)
        except EvalError as exc:
            raise UserError(str(exc)) from None

    return user_errors(wrapper)


def scoring_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Scorer set-up problems (unknown scorer, no endpoint, too few labels) as one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.llm import LLMError
        from evaltui.scoring.errors import ScorerSetupError

        try:
            return fn(*args, **kwargs)
        except (ScorerSetupError, LLMError) as exc:
            raise UserError(str(exc)) from None

    return wrapper


def topic_errors(fn: Any) -> Any:
    """Errors of the topic pipeline a user can act on, as one line."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.topics.embed import EmbeddingError
        from evaltui.topics.text import FacetError

        try:
            return fn(*args, **kwargs)
        except (EmbeddingError, FacetError) as exc:
            raise UserError(str(exc)) from None

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


def db_path() -> str | None:
    """The `--db` given to this command or before it (None: the default database)."""
    return (click.get_current_context().find_root().obj or {}).get("db")


def open_store(read_only: bool = False):
    from evaltui.store import Store

    return Store(db_path(), read_only=read_only)
