"""The command palette: panes, themes, sorting, and ready-made filters."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from evaltui.tui.panes import PANES

if TYPE_CHECKING:
    from evaltui.tui.app import EvalApp


class EvaltuiCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: EvalApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, str, Callable[[], object]]] = [
            *[(p.command, p.about, partial(app.action_show_pane, p.mode)) for p in PANES],
            ("Help: keys", "every key and its binding id", app.action_help),
            ("Refresh", "query the database again", app.action_refresh_data),
        ]
        for name in sorted(app.evaltui_themes):
            cmds.append((f"Theme: {name}", "switch the colour theme", partial(app.set_theme, name)))
        for key in app.known_scorers:
            threshold = app.settings.threshold(key)
            cmds.append(
                (f"Filter: failing {key}", f"scores.{key} < {threshold}",
                 partial(app.open_logs, f"scores.{key} < {threshold}")),
            )
        cmds.append(("Filter: clear", "show every conversation", partial(app.open_logs, "")))
        return cmds

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
