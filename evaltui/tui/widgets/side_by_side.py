"""The focused case of a diff: base and candidate outputs side by side, the words that
differ highlighted, each side's scores with rationales and human labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.visual import visualize
from textual.widgets import Static

from evaltui.tui.render import score_text

if TYPE_CHECKING:
    from evaltui.store.browse_experiments import CaseSide


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return value["content"]
    return orjson.dumps(value).decode()


def input_text(value: Any) -> str:
    """A chat input as its non-system messages, one per line; anything else as text."""
    if isinstance(value, list) and all(isinstance(m, dict) and "role" in m for m in value):
        return "\n".join(f"{m.get('role')}: {as_text(m.get('content'))}" for m in value if m.get("role") != "system")
    return as_text(value)


class SideBySide(VerticalScroll):
    DEFAULT_CSS = """
    SideBySide { height: 8; border-top: solid $panel; padding: 0 1; }
    SideBySide > Static { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.base: CaseSide | None = None
        self.candidate: CaseSide | None = None
        self.side = "candidate"
        self.names = ("base", "candidate")
        self._height: int | None = None

    def compose(self):
        yield Static("", id="side-body")

    def show(self, base: CaseSide | None, candidate: CaseSide | None, *, side: str, names: tuple[str, str]) -> None:
        self.base, self.candidate, self.side, self.names = base, candidate, side, names
        self._update(self._body())

    def show_loading(self, key: str) -> None:
        """The case under the cursor while its details load."""
        self.base = self.candidate = None
        self._update(Text(f"loading case {key}…", style="dim"))

    def _update(self, body: RenderableType) -> None:
        # A layout of the whole screen costs more than the rest of a step with n: do one
        # only when the body's height changes (the scroll range follows it).
        static = self.query_one("#side-body", Static)
        width = static.content_region.width
        height = visualize(static, body).get_height(static.styles, width) if width else None
        static.update(body, layout=height is None or height != self._height)
        self._height = height

    def _body(self) -> RenderableType:
        from evaltui.evals.diffview import word_diff

        theme = self.app.current_theme
        if self.base is None and self.candidate is None:
            return Text("no case", style="dim")
        a = as_text(self.base.outputs[0]) if self.base and self.base.outputs else ""
        b = as_text(self.candidate.outputs[0]) if self.candidate and self.candidate.outputs else ""
        left, right = word_diff(a, b)
        # The case itself (input, expected) beside the two outputs when there is room,
        # under them otherwise.
        wide = (self.size.width or 80) >= 110
        table = Table.grid(expand=True, padding=(0, 1))
        if wide:
            table.add_column(ratio=2)
        table.add_column(ratio=3)
        table.add_column(ratio=3)
        heads = [Text("  case", style="bold")] if wide else []
        for side, name in (("base", self.names[0]), ("candidate", self.names[1])):
            chosen = side == self.side
            heads.append(
                Text(
                    ("▶ " if chosen else "  ") + f"{side}: {name}",
                    style=f"bold {theme.accent or ''}" if chosen else "bold",
                )
            )
        table.add_row(*heads)
        case = self._case()
        table.add_row(
            *([case] if wide else []),
            self._runs(left, theme.error or "red", self.base),
            self._runs(right, theme.success or "green", self.candidate),
        )
        table.add_row(*([Text("")] if wide else []), self._scores(self.base), self._scores(self.candidate))
        return table if wide else Group(table, case)

    def _case(self) -> Text:
        either = self.candidate if self.candidate and self.candidate.result_ids else self.base
        if either is None:
            return Text("")
        return Text.assemble(
            ("input ", "bold"), input_text(either.input), "\n", ("expected ", "bold"), as_text(either.expected) or "–"
        )

    def _runs(self, runs: list[tuple[str, bool]], colour: str, side: CaseSide | None) -> RenderableType:
        if side is None or not side.result_ids:
            return Text("(not in this experiment)", style="dim")
        text = Text()
        for piece, changed in runs:
            text.append(piece, style=f"bold {colour} underline" if changed else "")
        if side.errors and side.errors[0]:
            text.append("\nerror: " + side.errors[0].strip().splitlines()[-1], style=f"bold {colour}")
        return text

    def _scores(self, side: CaseSide | None) -> RenderableType:
        if side is None or not side.scores:
            return Text("")
        parts: list[RenderableType] = []
        for name, s in side.scores[0].items():
            label = f" [{s['label']}]" if s.get("label") else ""
            from evaltui.model import scorer_key

            human = side.labels.get(scorer_key(name))
            line = Text.assemble(
                (f"● {name} ", "bold"),
                score_text(s.get("score")),
                label,
                (f"  human: {human}" if human else "", "bold"),
            )
            if len(side.scores) > 1:
                trials = " ".join(score_text(t.get(name, {}).get("score")) for t in side.scores)
                line.append(f"  trials {trials}", style="dim")
            if s.get("rationale") or s.get("error"):
                line.append("\n  " + (s.get("rationale") or s.get("error") or ""), style="italic")
            parts.append(line)
        return Group(*parts)
