"""People's pairwise marks: who is marking, and saving one mark from the app.

A mark says which side of a diff case is better (base, candidate or tie); it carries the
reviewer, ``EVALTUI_REVIEWER`` or else the login name, and each reviewer's latest mark
of a case is the one that counts.
"""

from __future__ import annotations

import getpass
import os
from typing import Any


def reviewer() -> str:
    """``$EVALTUI_REVIEWER``, else the login name (``unknown`` when there is none)."""
    name = os.environ.get("EVALTUI_REVIEWER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's anonymous uid)
        return "unknown"


def save_mark(
    path: Any, lock_timeout: float, base_id: str, candidate_id: str, case_key: str, verdict: str, who: str | None = None
) -> str | None:
    """Write one mark in a short read-write session (what the diff pane's ``<`` ``>`` ``=``
    do). Returns the one-line reason it could not be written, or None."""
    from evaltui.store import StoreError
    from evaltui.store.connections import writing
    from evaltui.store.pairwise import add_label

    try:
        with writing(path, lock_timeout) as store:
            add_label(store, base_id, candidate_id, case_key, verdict, who or reviewer())
    except StoreError as exc:
        return str(exc)
    return None
