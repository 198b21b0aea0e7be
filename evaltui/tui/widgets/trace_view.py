"""One conversation: its turns with each span's scores, labels and rationales,
then metadata and metrics. Rendered as Rich text in a scrolling container."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from evaltui.tui.render import score_text

if TYPE_CHECKING:  # the store is imported by the workers, after the first frame
    from evaltui.store.trace import ScoreDetail, Trace, TraceSpan

SYSTEM_CUT = 300  # characters of the system prompt shown until e expands it
ROLE_NAMES = {"system": "system", "user": "customer", "assistant": "agent", "tool": "tool"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "content" in value:
        return _text(value["content"])
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


class TraceView(VerticalScroll):
    """Shows a Trace; ``thresholds`` colour a score below its scorer's threshold."""

    DEFAULT_CSS = """
    TraceView { padding: 0 1; }
    TraceView > .block { margin: 0 0 1 0; height: auto; }
    TraceView > .turn { border-left: thick $primary; padding: 0 1; }
    TraceView > .system { color: $text-muted; border-left: thick $panel; padding: 0 1; }
    TraceView > .section { border-left: thick $secondary; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.trace: Trace | None = None
        self.thresholds: dict[str, float] = {}
        self.whole_system = False  # the system prompt in full (e), not cut at SYSTEM_CUT

    def show(self, trace: Trace, thresholds: dict[str, float], *, keep_scroll: bool = False) -> None:
        """Render ``trace``; ``keep_scroll`` stays where the reader was (the same trace, re-read)."""
        y = self.scroll_y
        self.trace, self.thresholds = trace, thresholds
        self.remove_children()
        blocks: list[Static] = []
        root = trace.root
        turns = [c for c in trace.children if c.span_type == "turn"]
        others = [c for c in trace.children if c.span_type != "turn"]
        messages = trace.messages
        system = [m for m in messages if m.get("role") == "system"]
        for m in system:
            content = _text(m.get("content"))
            text = Text.assemble(("system  ", "bold"), content if self.whole_system else content[:SYSTEM_CUT])
            if len(content) > SYSTEM_CUT:
                text.append(
                    f"  (e: the first {SYSTEM_CUT} of {len(content):,} characters)"
                    if not self.whole_system
                    else "  (e: shorten)",
                    style="dim italic",
                )
            blocks.append(Static(text, classes="block system"))
        if turns:
            for n, turn in enumerate(turns, 1):
                blocks.append(Static(self._turn(n, turn), classes="block turn"))
        else:  # no turn spans: show the history as logged on the root
            for m in messages:
                if m.get("role") == "system":
                    continue
                role = ROLE_NAMES.get(m.get("role", ""), m.get("role", "?"))
                blocks.append(
                    Static(Text.assemble((f"{role}  ", "bold"), _text(m.get("content"))), classes="block turn")
                )
        blocks.append(
            Static(self._scores_block("conversation scores", root.scores, trace.rollup), classes="block section")
        )
        for span in others:
            blocks.append(Static(self._span_block(span), classes="block section"))
        if trace.children:
            blocks.append(Static(self._waterfall(trace), classes="block section"))
        blocks.append(Static(self._details("metadata", root.metadata), classes="block section"))
        blocks.append(Static(self._details("metrics", root.metrics), classes="block section"))
        self.mount_all(blocks)
        if keep_scroll:
            self.call_after_refresh(self.scroll_to, y=y, animate=False)
        else:
            self.scroll_home(animate=False)

    def _score_lines(self, scores: list[ScoreDetail]) -> list[Text]:
        lines = []
        for s in scores:
            failing = s.score is not None and s.score < self.thresholds.get(s.scorer_key, 0.5)
            theme = self.app.current_theme
            style = f"bold {theme.error or 'red'}" if failing else f"bold {theme.success or 'green'}"
            label = f" [{s.label}]" if s.label else ""
            line = Text.assemble(
                ("  ● ", style),
                (f"{s.scorer} ", "bold"),
                (score_text(s.score), style),
                label,
                (f"  {s.source}{' ' + s.scorer_version if s.scorer_version else ''}", "dim"),
            )
            if s.rationale:
                line.append(f"\n      {s.rationale}", style="italic")
            lines.append(line)
        return lines

    def _turn(self, n: int, turn: TraceSpan) -> RenderableType:
        parts: list[RenderableType] = [
            Text.assemble((f"customer (turn {n})  ", "bold"), _text(turn.input)),
            Text.assemble(("agent  ", "bold"), _text(turn.output)),
        ]
        if turn.error:
            parts.append(Text(f"error: {turn.error}", style=f"bold {self.app.current_theme.error or 'red'}"))
        parts += self._score_lines(turn.scores)
        if turn.metrics:
            parts.append(Text("  " + "  ".join(f"{k} {v}" for k, v in turn.metrics.items()), style="dim"))
        return Group(*parts)

    def _scores_block(self, title: str, scores: list[ScoreDetail], rollup: dict[str, float | None]) -> RenderableType:
        parts: list[RenderableType] = [Text(title, style="bold")]
        parts += self._score_lines(scores)
        own = {s.scorer_key for s in scores}
        for key, value in rollup.items():
            if key not in own:
                parts.append(Text(f"  ○ {key} {score_text(value)} (mean over turns)", style="dim"))
        if len(parts) == 1:
            parts.append(Text("  no scores", style="dim"))
        return Group(*parts)

    def _span_block(self, span: TraceSpan) -> RenderableType:
        parts: list[RenderableType] = [Text(f"{span.span_type or 'span'} · {span.name or span.id}", style="bold")]
        if span.input is not None:
            parts.append(Text.assemble(("input  ", "bold"), _text(span.input)[:500]))
        if span.output is not None:
            parts.append(Text.assemble(("output  ", "bold"), _text(span.output)[:500]))
        parts += self._score_lines(span.scores)
        return Group(*parts)

    def _waterfall(self, trace: Trace) -> RenderableType:
        """The span tree, each span's duration and a bar on the trace's time line."""
        from evaltui.tui.waterfall import bar, seconds, span_of_time, tree

        rows = tree(trace.root, trace.children)
        total = span_of_time(rows)
        width = max(40, (self.size.width or 80) - 6)
        name_w = min(40, width * 2 // 5)
        bar_w = max(10, width - name_w - 9)
        timed = any(r.extent or r.start for r in rows)
        lines = [
            Text.assemble(
                ("spans", "bold"),
                (f"  {len(rows)} · " + (f"{seconds(total)} end to end" if timed else "no timings logged"), "dim"),
            )
        ]
        colour = self.app.current_theme.accent or "cyan"
        for r in rows:
            kind, name = r.span.span_type or "span", r.span.name or r.span.id
            label = "  " * r.depth + ("└ " if r.depth else "") + (kind if name == kind else f"{kind} {name}")
            err = r.span.error is not None
            line = Text(label[:name_w].ljust(name_w), style="bold red" if err else "")
            line.append(f" {seconds(r.extent):>7} ", style="dim")
            line.append(bar(r.start, r.extent, total, bar_w), style=colour)
            lines.append(line)
        return Group(*lines)

    def toggle_system(self) -> None:
        """Show the whole system prompt, or its first SYSTEM_CUT characters again."""
        self.whole_system = not self.whole_system
        if self.trace is not None:
            y = self.scroll_y
            self.show(self.trace, self.thresholds)
            self.call_after_refresh(self.scroll_to, y=y, animate=False)

    def _details(self, title: str, values: dict[str, Any]) -> RenderableType:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        for k, v in values.items():
            table.add_row(str(k), v if isinstance(v, str) else orjson.dumps(v).decode())
        if not values:
            table.add_row("", "none")
        return Group(Text(title, style="bold"), table)
