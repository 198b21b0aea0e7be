"""The diff pane's pairwise lines (pure text from a ``PairwiseReport``): the judge's win /
tie / loss of the candidate with 95% Wilson intervals, its swap-inconsistency, its
agreement with people's marks, and per case the judge's verdict beside your mark."""

from __future__ import annotations

from typing import Any

from rich.text import Text

MARKS = {"base": "<", "candidate": ">", "tie": "="}
SHORT = {"base": "base", "candidate": "cand", "tie": "tie"}


def _pct(rate: Any, ci: bool = True) -> str:
    if rate.rate is None:
        return "–"
    return f"{rate.rate:.0%} [{rate.ci_low * 100:.0f}-{rate.ci_high:.0%}]" if ci else f"{rate.rate:.0%}"


def header_lines(report: Any, *, detailed: bool) -> list[Text]:
    """Two lines (80 columns hold them): the judge's win / tie / loss with 95% Wilson
    intervals; its swap-inconsistency and agreement with people. Per bucket when ``detailed``."""
    lines: list[Text] = []
    o = report.overall
    people = report.agreement
    if people.n:
        kappa = "–" if people.kappa is None else f"{people.kappa:.2f}"
        versus = f"people: n {people.n}, agree {people.percent:.0%}, κ {kappa} · mark < > ="
    else:
        versus = "mark the better side: < base · > candidate · = tie"
    if o.n:
        lines.append(
            Text.assemble(
                ("pairwise ", "bold"), f"{report.scorer}: win {_pct(o.win)} · tie {_pct(o.tie)} · loss {_pct(o.loss)}"
            )
        )
        errors = f"{o.errors} errors · " if o.errors else ""
        lines.append(
            Text(f"n {o.n} · {errors}swap-inconsistent {_pct(o.swap_inconsistent, False)} · {versus}", style="dim")
        )
        if detailed and list(report.buckets) != ["(none)"]:
            for bucket, s in report.buckets.items():
                lines.append(
                    Text(
                        f"  {bucket} n {s.n}: win {_pct(s.win, False)} · tie {_pct(s.tie, False)} · "
                        f"loss {_pct(s.loss, False)} · swap-inconsistent {_pct(s.swap_inconsistent, False)}",
                        style="dim",
                    )
                )
    else:
        lines.append(
            Text.assemble(("pairwise ", "bold"), "no judge run (evaltui pairwise BASE CANDIDATE --scorer RUBRIC)")
        )
        lines.append(Text(versus, style="dim"))
    return lines


def case_note(verdicts: dict[str, str], marks: dict[str, str], key: str) -> str:
    """``judge cand · you =`` for the focused case (empty when neither has a say)."""
    parts = []
    if verdicts.get(key):
        parts.append(f"judge {SHORT[verdicts[key]]}")
    if marks.get(key):
        parts.append(f"you {MARKS[marks[key]]}")
    return " · ".join(parts)
