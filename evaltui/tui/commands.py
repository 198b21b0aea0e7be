"""The command palette: panes, themes, sorting, and ready-made filters."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from evaltui.tui.app import EvalApp


class EvaltuiCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: EvalApp = self.app  # type: ignore[assignment]
        cmds: list[tuple[str, str, Callable[[], object]]] = [
            ("Pane: topics", "the topic map: where it hurts", partial(app.action_show_pane, "topics")),
            ("Pane: logs", "the log browser", partial(app.action_show_pane, "logs")),
            ("Pane: builder (3)", "mark the log filter's cases into a dataset", partial(app.action_show_pane, "builder")),
            ("Pane: experiments (4)", "experiments; start, cancel, resume evals", partial(app.action_show_pane, "experiments")),
            ("Pane: diff (5)", "baseline vs candidate, case by case", partial(app.action_show_pane, "diff")),
            ("Pane: calibration (6)", "judges against human labels", partial(app.action_show_pane, "calibration")),
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
