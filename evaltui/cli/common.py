"""What every command shares: the exit codes, the one-line user error and the decorator
that turns every error a user can cause into it, the `--db` option and opening the store.

Only click is imported here (and evaltui.errors, which imports nothing).
"""

from __future__ import annotations

import enum
import functools
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

import click

from evaltui.errors import EvaltuiError

if TYPE_CHECKING:
    from evaltui.store.db import Store


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
    """One line on stderr, no traceback; the command ends with ``exit_code``."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click reads it from the instance

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def exit_code_of(exc: EvaltuiError) -> ExitCode:
    """The exit code of an error a user caused: 2 for every kind today (README "Exit
    codes"); a kind that needs its own code gets it here."""
    return ExitCode.USAGE


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error a user can cause (an ``EvaltuiError``, or a file the system
    refused) into one line on stderr and its exit code; anything else is a bug and keeps
    its traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.store.filters import FilterError

        try:
            return fn(*args, **kwargs)
        except FilterError as exc:  # the filter again, with a caret under the problem
            pointer = exc.pointer().replace(chr(10), chr(10) + "  ")
            raise UserError(f"{exc}\n  {pointer}", exit_code_of(exc)) from None
        except EvaltuiError as exc:
            raise UserError(str(exc), exit_code_of(exc)) from None
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
        "--db",
        "db",
        metavar="PATH",
        default=None,
        expose_value=False,
        callback=remember,
        is_eager=True,
        help="Database file (default: $EVALTUI_DB or ./evaltui.duckdb).",
    )(fn)


def db_path() -> str | None:
    """The `--db` given to this command or before it (None: the default database)."""
    return (click.get_current_context().find_root().obj or {}).get("db")


def open_store(read_only: bool = False) -> Store:
    from evaltui.store import Store

    return Store(db_path(), read_only=read_only)
