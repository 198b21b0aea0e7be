"""Printing a Comparison with rich (the CLI's view; the TUI renders the same data)."""

from __future__ import annotations

from typing import Any

from evaltui.evals.compare import Comparison, ScoreDiff


def _num(v: float | None, fmt: str = "{:.3f}") -> str:
    return "" if v is None else fmt.format(v)


def _score_table(title: str, diffs: dict[str, ScoreDiff], alpha: float) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold")
    for col in ("score", "n", "base", "candidate", "delta", "95% CI", "p", "improved", "regressed"):
        table.add_column(col, justify="left" if col == "score" else "right")
    for name, d in diffs.items():
        style = "red" if d.significant_regression(alpha) else "green" if (d.delta or 0) > 0 and (d.p_value or 1) < alpha else ""
        delta = _num(d.delta, "{:+.3f}")
        table.add_row(name, str(d.n), _num(d.base_mean), _num(d.candidate_mean),
                      f"[{style}]{delta}[/{style}]" if style else delta,
                      "" if d.ci_low is None else f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]",
                      _num(d.p_value, "{:.3g}"), str(d.improvements), str(d.regressions))
    return table


def print_comparison(c: Comparison, console: Any, *, alpha: float = 0.05, max_cases: int = 20) -> None:
    console.print(f"[bold]{c.candidate}[/bold] against [bold]{c.base}[/bold]: cases matched by {c.matched_by}"
                  + (f", {len(c.added)} added" if c.added else "") + (f", {len(c.removed)} removed" if c.removed else ""))
    console.print(_score_table("per score", c.scores, alpha))
    order = ("failing", "borderline", "passing", "unscored", "(none)")
    for bucket in sorted(c.buckets, key=lambda b: order.index(b) if b in order else len(order)):
        if list(c.buckets) == ["(none)"]:
            break
        console.print(_score_table(f"bucket {bucket}", c.buckets[bucket], alpha))
    changed = [row for row in c.cases if row["status"] in ("improved", "regressed", "mixed")]
    if changed:
        from rich.table import Table

        from evaltui.text import preview
        import orjson

        table = Table(title="changed cases", title_justify="left", box=None, pad_edge=False, header_style="bold")
        for col in ("case", "bucket", "status", "input", "deltas"):
            table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=50 if col == "input" else None)
        for row in changed[:max_cases]:
            deltas = " ".join(f"{n} {s['delta']:+.2f}" for n, s in row["scores"].items() if "delta" in s and abs(s["delta"]) > 1e-9)
            table.add_row(row["key"], row["bucket"] or "", row["status"], preview(orjson.dumps(row["input"]).decode()), deltas)
        console.print(table)
        if len(changed) > max_cases:
            console.print(f"... {len(changed) - max_cases} more (--json for all)", style="dim")
    if c.flips:
        console.print(f"{len(c.flips)} grades flip across trials: "
                      + ", ".join(f"{f['key']} ({f['score']}, {f['side']})" for f in c.flips[:10]), style="yellow")
