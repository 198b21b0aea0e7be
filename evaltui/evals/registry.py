"""Where ``Eval`` calls go: run now, or (under ``evaltui eval FILE.py``) collected first.

``evaltui eval`` imports the file with collection on, as ``braintrust eval`` does, so
it can list, filter and then run every ``Eval`` in it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any
from collections.abc import Iterator

from evaltui.dbpath import using_db

_collecting: list[Any] | None = None
_run_options: dict[str, Any] = {}


def collecting() -> list[Any] | None:
    return _collecting


@contextmanager
def collect() -> Iterator[list[Any]]:
    global _collecting
    previous, _collecting = _collecting, []
    try:
        yield _collecting
    finally:
        _collecting = previous


@contextmanager
def using(db: str | os.PathLike[str] | None, **options: Any) -> Iterator[None]:
    """Within this block, ``Eval`` defaults to ``db`` (``evaltui.dbpath.default_db``) and
    ``options`` (quiet, progress...)."""
    global _run_options
    previous, _run_options = _run_options, {**_run_options, **options}
    try:
        with using_db(db):
            yield
    finally:
        _run_options = previous


def run_options() -> dict[str, Any]:
    return dict(_run_options)
