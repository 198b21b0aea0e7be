"""The record a marked case will be saved as: bucket, input, expected, origin span."""

from __future__ import annotations

from typing import Any

import orjson
from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from evaltui.jsondepth import loads_stored
from evaltui.model import GRADED


def _text(value: Any, limit: int = 600) -> str:
    if value is None:
        return "–"
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        text = "\n".join(f"{m.get('role')}: {m.get('content')}" for m in value if m.get("role") != "system")
    else:
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= limit else text[:limit] + "…"


class RecordPreview(Static):
    DEFAULT_CSS = """
    RecordPreview { padding: 0 1; border-top: solid $panel; height: 6; overflow-y: auto; }
    """

    def show(self, record: dict[str, Any] | None, mark: str | None, candidate: Any = None) -> None:
        """``candidate`` (a curation.builder.Candidate): its topic and scores, by full name."""
        if record is None:
            self.update(Text("no case selected", style="dim"))
            return
        saved = mark if mark in GRADED else None
        head = Text.assemble(
            ("record ", "bold"),
            record["record_id"],
            "  ",
            ("saved as ", "dim"),
            (
                saved or ("not saved (excluded)" if mark == "excluded" else "not saved (unmarked)"),
                "bold" if saved else "dim",
            ),
            ("  origin span ", "dim"),
            record.get("origin_span_id") or "–",
        )
        lines = [head]
        if candidate is not None:
            scores = Text.assemble(("topic     ", "bold"), candidate.topic or "(unassigned)")
            for key, value in candidate.scores.items():
                scores.append(f" · {key} {'–' if value is None else f'{value:.2f}'}")
            lines.append(scores)
        self.update(
            Group(
                *lines,
                Text.assemble(("input     ", "bold"), _text(_loads(record.get("input")))),
                Text.assemble(("expected  ", "bold"), _text(_loads(record.get("expected")))),
            )
        )


def _loads(text: str | None) -> Any:
    return loads_stored(text)
