"""Plain-terminal rendering of topic tables for the CLI."""

from __future__ import annotations

from typing import Any


def _console():
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "" if value is None else fmt.format(value)


def _score_table(keys: list[str], columns: list[tuple[str, int]], title: str | None = None):
    """A table of named columns (width 0: a right-aligned count), then mean and failing share per score."""
    from rich.table import Table

    out = Table(box=None, pad_edge=False, header_style="bold", title=title, title_justify="left")
    for name, width in columns:
        if width:
            out.add_column(name, no_wrap=True, overflow="ellipsis", max_width=width)
        else:
            out.add_column(name, justify="right")
    for k in keys:
        out.add_column(k, justify="right")
        out.add_column("fail", justify="right")
    return out


def _score_cells(row: dict[str, Any], keys: list[str]) -> list[str]:
    cells = []
    for k in keys:
        s = row["scores"].get(k)
        cells += [_num(s and s["mean"]), _num(s and s["fail_share"], "{:.0%}")]
    return cells


def print_topic_table(table: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    current = table["map"]
    if current:
        console.print(f"map {current['id']} ({current['facet']}, {current['model']}): {current['n_topics']} topics", style="dim")
    else:
        console.print("no topic map yet: topics are the logs' own tags (`evaltui topics build` makes a map)", style="dim")
    keys = table["scorers"]
    out = _score_table(keys, [("topic", 34), ("group", 24), ("label", 44), ("convs", 0)])
    for r in table["topics"]:
        out.add_row(r["topic"], r.get("group") or "", r["label"] or "", f"{r['conversations']:,}", *_score_cells(r, keys))
    console.print(out)
    if table.get("groups"):
        groups = _score_table(keys, [("group", 34), ("label", 44), ("topics", 0), ("convs", 0)], title="groups")
        for g in table["groups"]:
            groups.add_row(g["topic"], g["label"] or "", str(len(g["topics"])), f"{g['conversations']:,}", *_score_cells(g, keys))
        console.print(groups)
    if table["where_it_hurts"]:
        hurt = Table(box=None, pad_edge=False, header_style="bold", title="where it hurts", title_justify="left")
        for col in ("topic", "scorer", "convs", "mean", "overall", "fail", "impact"):
            hurt.add_column(col, justify="left" if col in ("topic", "scorer") else "right")
        for h in table["where_it_hurts"]:
            hurt.add_row(h["topic"], h["scorer"], f"{h['conversations']:,}", _num(h["mean"]), _num(h["overall_mean"]),
                         _num(h["fail_share"], "{:.0%}"), _num(h["impact"], "{:.1f}"))
        console.print(hurt)
    if table.get("where_it_hurts_groups"):
        hurt = Table(box=None, pad_edge=False, header_style="bold", title="where it hurts, by group", title_justify="left")
        for col in ("group", "scorer", "convs", "mean", "overall", "fail", "impact"):
            hurt.add_column(col, justify="left" if col in ("group", "scorer") else "right")
        for h in table["where_it_hurts_groups"][:5]:
            hurt.add_row(h["group"], h["scorer"], f"{h['conversations']:,}", _num(h["mean"]), _num(h["overall_mean"]),
                         _num(h["fail_share"], "{:.0%}"), _num(h["impact"], "{:.1f}"))
        console.print(hurt)


def print_topic_detail(d: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{d['topic']}[/bold]  {d.get('name') or d.get('label') or ''}")
    if d.get("keywords"):
        console.print("keywords: " + ", ".join(d["keywords"]), style="dim")
    console.print(f"{d['conversations']:,} conversations")
    for k, s in d["scores"].items():
        console.print(f"  {k}: mean {_num(s['mean'])}, failing {_num(s['fail_share'], '{:.0%}')} of {s['n']:,}")
    if d["trend"]:
        keys = list(d["scores"])
        trend = Table(box=None, pad_edge=False, header_style="bold", title="daily", title_justify="left")
        trend.add_column("day")
        trend.add_column("convs", justify="right")
        for k in keys:
            trend.add_column(k, justify="right")
        for day in d["trend"]:
            trend.add_row(day["day"], str(day["conversations"]), *(_num(day.get(k)) for k in keys))
        console.print(trend)
    if d["examples"]:
        console.print("closest to the centre:", style="bold")
        for e in d["examples"]:
            console.print(f"  {e['distance']:.3f}  {e['span_id']}  {(e['text'] or '')[:100]}")


def failure_mode_lines(modes: list[dict[str, Any]]) -> list[str]:
    """Plain lines for failure modes (the CLI and the demo print them)."""
    lines = []
    for i, m in enumerate(modes, 1):
        sources = ", ".join(f"{k} {v}" for k, v in m["sources"].items())
        people = (f"; people passed {m['people_passed']} of the {m['labelled']} they labelled"
                  if m["labelled"] else "")
        lines.append(f"{i}. {m['name']}  ({m['count']:,} failing, {m['share']:.0%}; {m['scorer']}: {sources}{people})")
        if m["keywords"]:
            lines.append(f"   keywords: {', '.join(m['keywords'])}")
        lines.append(f"   e.g. {m['example_span_id']}: {m['example_rationale'][:160]}")
    return lines


def print_failure_modes(modes: list[dict[str, Any]]) -> None:
    console = _console()
    if not modes:
        console.print("no failing grades with a rationale in this topic", style="dim")
        return
    console.print("failure modes (why its failing grades fail):", style="bold")
    for line in failure_mode_lines(modes):
        console.print(line, markup=False, highlight=False)
