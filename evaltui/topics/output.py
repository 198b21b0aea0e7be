"""Plain-terminal rendering of topic tables for the CLI."""

from __future__ import annotations

from typing import Any


def _console():
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "" if value is None else fmt.format(value)


def print_topic_table(table: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    current = table["map"]
    if current:
        console.print(f"map {current['id']} ({current['facet']}, {current['model']}): {current['n_topics']} topics", style="dim")
    else:
        console.print("no topic map yet: topics are the logs' own tags (`evaltui topics build` makes a map)", style="dim")
    keys = table["scorers"]
    out = Table(box=None, pad_edge=False, header_style="bold")
    out.add_column("topic", no_wrap=True, max_width=34)
    out.add_column("group", no_wrap=True, max_width=24)
    out.add_column("label", overflow="ellipsis", no_wrap=True, max_width=44)
    out.add_column("convs", justify="right")
    for k in keys:
        out.add_column(k, justify="right")
        out.add_column("fail", justify="right")
    for r in table["topics"]:
        cells = []
        for k in keys:
            s = r["scores"].get(k)
            cells += [_num(s and s["mean"]), _num(s and s["fail_share"], "{:.0%}")]
        out.add_row(r["topic"], r.get("group") or "", r["label"] or "", f"{r['conversations']:,}", *cells)
    console.print(out)
    if table.get("groups"):
        groups = Table(box=None, pad_edge=False, header_style="bold", title="groups", title_justify="left")
        groups.add_column("group", no_wrap=True, max_width=34)
        groups.add_column("label", overflow="ellipsis", no_wrap=True, max_width=44)
        groups.add_column("topics", justify="right")
        groups.add_column("convs", justify="right")
        for k in keys:
            groups.add_column(k, justify="right")
            groups.add_column("fail", justify="right")
        for g in table["groups"]:
            cells = []
            for k in keys:
                s = g["scores"].get(k)
                cells += [_num(s and s["mean"]), _num(s and s["fail_share"], "{:.0%}")]
            groups.add_row(g["topic"], g["label"] or "", str(len(g["topics"])), f"{g['conversations']:,}", *cells)
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
