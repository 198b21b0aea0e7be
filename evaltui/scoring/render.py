"""Plain-terminal rendering of calibration reports for the CLI."""

from __future__ import annotations

from typing import Any


def _num(value: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _console():
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=200)


def _agreement_table(title: str, result: dict[str, Any]):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in ("topic", "n", "accuracy", "kappa"):
        table.add_column(col, justify="left" if col == "topic" else "right")
    overall = result["overall"]
    rows = sorted(result["by_topic"].items(), key=lambda kv: (kv[1]["kappa"] is None, kv[1]["kappa"] or 0))
    for topic, a in rows:
        table.add_row(topic, str(a["n"]), _num(a["accuracy"], "{:.0%}"), _num(a["kappa"]))
    table.add_section()
    table.add_row("overall", str(overall["n"]), _num(overall["accuracy"], "{:.0%}"), _num(overall["kappa"]),
                  style="bold")
    return table


def _confusion_table(result: dict[str, Any]):
    from rich.table import Table

    labels = result["labels"]
    table = Table(title="confusion (rows: human, columns: scorer)", title_justify="left")
    table.add_column("human \\ scorer")
    for label in labels:
        table.add_column(label, justify="right")
    for human in labels:
        table.add_row(human, *(str(result["overall"]["confusion"][human][m]) for m in labels))
    return table


def print_calibration(result: dict[str, Any]) -> None:
    console = _console()
    if "versions" in result:
        a, b = result["versions"]
        console.print(f"{result['scorer']}: {a} vs {b} on {result['n']} targets labelled for {result['labels_of']}")
        console.print(_agreement_table(f"{a}", result["a"]))
        console.print(_agreement_table(f"{b}", result["b"]))
        console.print(f"{b} agrees with the humans where {a} did not on {result['fixed']} targets, "
                      f"and disagrees where {a} agreed on {result['broken']}.")
        return
    kind = "weighted kappa (linear)" if result.get("weighted") else "kappa"
    console.print(f"{result['scorer']} {result['version']} against human labels of {result['labels_of']} ({kind}):")
    console.print(_agreement_table("agreement by topic, worst first", result))
    console.print(_confusion_table(result))
