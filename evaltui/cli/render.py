"""The CLI's tables (rich): spans and statistics, topic tables and failure modes,
experiments and datasets, the diff of two experiments, calibration reports; and JSON for
`--json`. The commands fetch the data; the functions here only print it. (An eval run's
summary table is ``evals.summary.render``: an ``Eval(...)`` in a plain script prints it too.)

Piped output is read by people and scripts alike, so a console that is not a terminal is
wide rather than squeezed to 80 columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from evaltui.jsondepth import loads_stored
from evaltui.model import CHANGED, bucket_order
from evaltui.text import preview

if TYPE_CHECKING:
    from evaltui.evals.compare import Comparison, ScoreDiff


def _json_or_none(text: str | None) -> Any:
    return loads_stored(text)


def span_json(row: dict[str, Any]) -> str:
    """One span as the JSON object `evaltui logs --json` prints."""
    obj = {
        "id": row["id"],
        "root_id": row["root_id"],
        "parent_id": row["parent_id"],
        "name": row["name"],
        "span_type": row["span_type"],
        "ts": row["ts"].isoformat() + "Z" if row["ts"] else None,
        "topic": row["topic"],
        "input": _json_or_none(row["input"]),
        "output": _json_or_none(row["output"]),
        "expected": _json_or_none(row["expected"]),
        "error": row["error"],
        "metadata": _json_or_none(row["metadata"]),
        "tags": row["tags"],
        "metrics": _json_or_none(row["metrics"]),
        "scores": dict(row["scores"] or []),
    }
    return orjson.dumps(obj).decode()


def console(piped_width: int = 200) -> Any:
    """A rich console on stdout: the terminal's width, or ``piped_width`` when piped."""
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=piped_width)


def to_json(obj: Any) -> str:
    """One JSON object on one line (dates and other objects as text, numpy as numbers)."""
    return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def echo_json(obj: Any) -> None:
    import click

    click.echo(to_json(obj))


def _num(value: float | None, fmt: str = "{:.2f}", none: str = "") -> str:
    return none if value is None else fmt.format(value)


# -- logs and stats ----------------------------------------------------------------------


def print_spans_table(rows: list[dict[str, Any]], total: int) -> None:
    from rich.table import Table

    keys = sorted({k for r in rows for k, _ in (r["scores"] or [])})
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("time", no_wrap=True)
    table.add_column("id", no_wrap=True, max_width=18)
    table.add_column("topic", no_wrap=True, max_width=22)
    table.add_column("input", overflow="ellipsis", no_wrap=True, ratio=1)
    for k in keys:
        table.add_column(k, justify="right", no_wrap=True)
    for r in rows:
        scores = dict(r["scores"] or [])
        table.add_row(
            r["ts"].strftime("%Y-%m-%d %H:%M") if r["ts"] else "",
            r["id"],
            r["topic"] or "",
            preview(r["input"]),
            *(_num(scores.get(k)) for k in keys),
        )
    screen = console()
    screen.print(table)
    screen.print(f"{len(rows)} of {total:,} matching", style="dim")


def print_stats_table(keys: list[str], rows: list[dict[str, Any]], by: str = "topic") -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column(by)
    table.add_column("conversations", justify="right")
    for k in keys:
        table.add_column(k, justify="right")
    for r in rows:
        table.add_row(str(r["topic"]), f"{r['conversations']:,}", *(_num(r[k]) for k in keys))
    console().print(table)


# -- experiments and datasets ------------------------------------------------------------

_EVAL_WIDTH = 160  # piped width of the experiment and dataset tables


def print_experiments(rows: list[dict[str, Any]]) -> None:
    """`evaltui experiments list`: one row per experiment, newest first."""
    from rich.table import Table

    names = sorted({n for r in rows for n in r["scores"]})
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("experiment", "status", "created", "dataset", "results", "errors", *names):
        table.add_column(col, justify="right" if col in ("results", "errors", *names) else "left")
    for r in rows:
        status = r["status"] if r["status"] == "finished" else "interrupted"
        dataset = f"{r['dataset']}@v{r['dataset_version']}" if r["dataset"] else ""
        table.add_row(
            r["name"],
            status,
            r["created"].strftime("%Y-%m-%d %H:%M") if r["created"] else "",
            dataset,
            str(r["results"]),
            str(r["errors"]),
            *("" if r["scores"].get(n) is None else f"{r['scores'][n]:.2f}" for n in names),
        )
    console(_EVAL_WIDTH).print(table)


def print_experiment(header: dict[str, Any], cases: list[dict[str, Any]]) -> None:
    """`evaltui experiments show`: the experiment's header line, then one row per case."""
    from rich.table import Table

    screen = console(_EVAL_WIDTH)
    screen.print(
        f"[bold]{header['name']}[/bold] ({header['status']}, {len(cases)} results"
        + (f", base {header['base_experiment']}" if header["base_experiment"] else "")
        + ")"
    )
    ran = experiment_ran_on(header)
    if ran:
        screen.print(ran, markup=False, highlight=False)
    names = sorted({n for c in cases for n in c["scores"]})
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("case", "trial", "input", "output", *names, "duration"):
        table.add_column(
            col,
            justify="right" if col in ("trial", "duration", *names) else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=40 if col in ("input", "output") else None,
        )
    for c in cases:

        def cell(n: str) -> str:
            s = c["scores"].get(n)
            if s is None:
                return ""
            return "err" if s.get("error") else ("" if s.get("score") is None else f"{s['score']:.2f}")

        output = (
            ("ERROR " + c["error"].strip().splitlines()[-1])
            if c["error"]
            else preview(orjson.dumps(c["output"]).decode())
        )
        table.add_row(
            c["record_id"] or c["case_id"],
            str(c["trial"]),
            preview(orjson.dumps(c["input"]).decode()),
            output,
            *(cell(n) for n in names),
            f"{c['duration_s']:.2f}s",
        )
    screen.print(table)


def experiment_ran_on(header: dict[str, Any]) -> str:
    """One line: the dataset version, scorers and prompt versions an experiment ran with."""
    parts = []
    if header.get("dataset"):
        parts.append(f"dataset {header['dataset']} v{header['dataset_version']}")
    if header.get("scorers"):
        parts.append("scorers " + ", ".join(header["scorers"]))
    if header.get("prompts"):
        parts.append("prompts " + ", ".join(f"{p['name']} v{p['version']} ({p['hash']})" for p in header["prompts"]))
    return " · ".join(parts)


def print_prompts(rows: list[dict[str, Any]]) -> None:
    """`evaltui prompts list`: each prompt's versions and the experiments that ran each."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("prompt", "version", "hash", "created", "experiments"):
        table.add_column(col)
    for p in rows:
        for i, v in enumerate(p["versions"]):
            table.add_row(
                p["name"] if i == 0 else "",
                f"v{v['version']}",
                v["hash"],
                v["created"].strftime("%Y-%m-%d %H:%M") if v["created"] else "",
                ", ".join(v["experiments"]) or "-",
            )
    console(_EVAL_WIDTH).print(table)


def print_prompt_diff(change: dict[str, Any]) -> None:
    from rich.text import Text

    from evaltui.prompts.template import change_lines

    screen = console(_EVAL_WIDTH)
    for line in change_lines(change):
        style = (
            "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "cyan"
            if line.startswith("@@")
            else ""
        )
        screen.print(Text(line, style=style), soft_wrap=True)


def print_datasets(rows: list[dict[str, Any]]) -> None:
    """`evaltui datasets list`: one row per dataset with its latest version."""
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("dataset", "version", "records", "created", "description"):
        table.add_column(col, justify="right" if col in ("version", "records") else "left")
    for r in rows:
        table.add_row(
            r["name"],
            str(r["version"]),
            str(r["records"]),
            r["created"].strftime("%Y-%m-%d %H:%M") if r["created"] else "",
            r["description"] or "",
        )
    console(_EVAL_WIDTH).print(table)


def print_dataset(
    name: str, version: int, latest: int, records: list[dict[str, Any]], history: list[dict[str, Any]]
) -> None:
    """`evaltui datasets show`: the version's bucket counts, the version history, the records."""
    from collections import Counter

    from rich.table import Table

    screen = console(_EVAL_WIDTH)
    buckets = Counter(r["bucket"] or "(none)" for r in records)
    screen.print(
        f"[bold]{name}[/bold] version {version} of {latest}: {len(records)} records ("
        + ", ".join(f"{b} {n}" for b, n in sorted(buckets.items()))
        + ")"
    )
    for h in history:
        screen.print(
            f"  v{h['version']}  {h['created']:%Y-%m-%d %H:%M}  +{h['added']} -{h['removed']}  "
            f"= {h['records']}  {h['note'] or ''}",
            style="dim",
        )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("id", "bucket", "input", "expected"):
        table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=60 if col == "input" else 30)
    for r in records:
        table.add_row(
            r["id"],
            r["bucket"] or "",
            preview(orjson.dumps(r["input"]).decode()),
            "" if r["expected"] is None else preview(orjson.dumps(r["expected"]).decode()),
        )
    screen.print(table)


# -- diff --------------------------------------------------------------------------------


def _diff_table(title: str, diffs: dict[str, ScoreDiff], alpha: float) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold")
    for col in ("score", "n", "base", "candidate", "delta", "95% CI", "p", "improved", "regressed"):
        table.add_column(col, justify="left" if col == "score" else "right")
    for name, d in diffs.items():
        style = (
            "red"
            if d.significant_regression(alpha)
            else "green"
            if (d.delta or 0) > 0 and (d.p_value or 1) < alpha
            else ""
        )
        delta = _num(d.delta, "{:+.3f}")
        table.add_row(
            name,
            str(d.n),
            _num(d.base_mean, "{:.3f}"),
            _num(d.candidate_mean, "{:.3f}"),
            f"[{style}]{delta}[/{style}]" if style else delta,
            "" if d.ci_low is None else f"[{d.ci_low:+.3f}, {d.ci_high:+.3f}]",
            _num(d.p_value, "{:.3g}"),
            str(d.improvements),
            str(d.regressions),
        )
    return table


def corrected_lines(corrected: dict[str, Any]) -> list[str]:
    """The diff's judge-corrected lines: per score with human labels, overall then per bucket."""
    from evaltui.evals.corrected import corrected_line  # numpy: not at `evaltui --help`

    lines = []
    for name, e in corrected.items():
        which = "this judge version" if e.get("same_version") else "its version"
        lines.append(
            f"corrected for the judge's error ({e['labels']} human labels of {e['labels_of']} against "
            f"{which} {e['version']}, per topic; 95% CI with the correction's uncertainty):"
        )
        lines.append("  " + corrected_line(name, e["overall"]))
        lines.append(
            "  " + corrected_line(name, e["overall"], pass_rate=True) + f" (pass: score >= {e['threshold']:g})"
        )
        for bucket, d in e["by_bucket"].items():
            lines.append(f"    bucket {bucket}: " + corrected_line(name, d).split(": ", 1)[1])
    return lines


def print_comparison(c: Comparison, *, alpha: float = 0.05, max_cases: int = 20) -> None:
    """`evaltui diff`: a ``Comparison`` per score, per bucket, then the changed cases (the
    TUI's diff screen renders the same data)."""
    screen = console(_EVAL_WIDTH)
    screen.print(
        f"[bold]{c.candidate}[/bold] against [bold]{c.base}[/bold]: cases matched by {c.matched_by}"
        + (f", {len(c.added)} added" if c.added else "")
        + (f", {len(c.removed)} removed" if c.removed else "")
    )
    screen.print(_diff_table("per score", c.scores, alpha))
    for change in c.prompts:
        print_prompt_diff(change)
    for line in corrected_lines(c.corrected):
        screen.print(line, markup=False, highlight=False)
    for bucket in sorted(c.buckets, key=bucket_order):
        if list(c.buckets) == ["(none)"]:
            break
        screen.print(_diff_table(f"bucket {bucket}", c.buckets[bucket], alpha))
    changed = [row for row in c.cases if row["status"] in CHANGED]
    if changed:
        from rich.table import Table

        table = Table(title="changed cases", title_justify="left", box=None, pad_edge=False, header_style="bold")
        for col in ("case", "bucket", "status", "input", "deltas"):
            table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=50 if col == "input" else None)
        for row in changed[:max_cases]:
            deltas = " ".join(
                f"{n} {s['delta']:+.2f}" for n, s in row["scores"].items() if "delta" in s and abs(s["delta"]) > 1e-9
            )
            table.add_row(
                row["key"], row["bucket"] or "", row["status"], preview(orjson.dumps(row["input"]).decode()), deltas
            )
        screen.print(table)
        if len(changed) > max_cases:
            screen.print(f"... {len(changed) - max_cases} more (--json for all)", style="dim")
    if c.flips:
        screen.print(
            f"{len(c.flips)} grades flip across trials: "
            + ", ".join(f"{f['key']} ({f['score']}, {f['side']})" for f in c.flips[:10]),
            style="yellow",
        )


# -- calibration -------------------------------------------------------------------------


def kappa_with_ci(a: dict[str, Any], fmt: str = "{:.2f}") -> str:
    """ "0.26 [0.05, 0.47]": kappa and its 95% interval, or "-" when undefined."""
    if a.get("kappa") is None:
        return "-"
    ci = a.get("kappa_ci")
    return fmt.format(a["kappa"]) + (f" [{fmt.format(ci[0])}, {fmt.format(ci[1])}]" if ci else "")


def _agreement_table(title: str, result: dict[str, Any], key: str = "by_topic", first: str = "topic"):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in (first, "n", "agree", "kappa [95% CI]", "TPR", "TNR"):
        table.add_column(col, justify="left" if col == first else "right")
    overall = result["overall"]
    rows = sorted(result[key].items(), key=lambda kv: (kv[1]["kappa"] is None, kv[1]["kappa"] or 0))

    def cells(a: dict[str, Any]) -> list[str]:
        pf = a.get("pass_fail") or {}
        return [
            str(a["n"]),
            _num(a["accuracy"], "{:.0%}", "-"),
            kappa_with_ci(a),
            _num(pf.get("tpr"), "{:.0%}", "-"),
            _num(pf.get("tnr"), "{:.0%}", "-"),
        ]

    for topic, a in rows:
        table.add_row(topic, *cells(a))
    table.add_section()
    table.add_row("overall", *cells(overall), style="bold")
    return table


def _classes_table(result: dict[str, Any]):
    from rich.table import Table

    table = Table(title="per grade (humans as truth)", title_justify="left")
    for col in ("grade", "humans", "scorer", "precision", "recall"):
        table.add_column(col, justify="left" if col == "grade" else "right")
    for label, c in (result["overall"].get("classes") or {}).items():
        table.add_row(
            label,
            str(c["human"]),
            str(c["scorer"]),
            _num(c["precision"], "{:.0%}", "-"),
            _num(c["recall"], "{:.0%}", "-"),
        )
    return table


def _one_line(text: str | None, width: int = 160) -> str:
    flat = " ".join((text or "-").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_disagreements(rows: list[dict[str, Any]], limit: int | None = None) -> None:
    """`evaltui calibrate --disagreements`: worst first, with the judge's rationale and the human's note."""
    screen = console()
    if not rows:
        screen.print("no disagreements: the scorer and the humans chose the same grade everywhere")
        return
    shown = rows[:limit] if limit else rows
    screen.print(f"{len(rows)} disagreements, worst first (judge grade vs human grade):", style="bold")
    for d in shown:
        screen.print(
            f"{d['target_id']}  [{d['topic']}]  judge {d['judge']}  human {d['human']}", markup=False, highlight=False
        )
        screen.print(f"    judge: {_one_line(d['judge_rationale'])}", markup=False, highlight=False)
        screen.print(f"    human: {_one_line(d['human_note'])}", markup=False, highlight=False)
    if limit and len(rows) > limit:
        screen.print(f"... {len(rows) - limit} more (--json for all)", style="dim")


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


def humans_line(result: dict[str, Any]) -> str:
    """Ground truth and human-vs-human agreement, in one line (`calibrate`)."""
    from evaltui.scoring.review import agreement_line

    return agreement_line(result.get("humans") or {}, result.get("ground_truth"))


def print_calibration(result: dict[str, Any]) -> None:
    """`evaltui calibrate`: agreement by topic and the confusion matrix, or two versions side by side."""
    screen = console()
    if "versions" in result:
        a, b = result["versions"]
        screen.print(f"{result['scorer']}: {a} vs {b} on {result['n']} targets labelled for {result['labels_of']}")
        screen.print(humans_line(result))
        screen.print(_agreement_table(f"{a}", result["a"]))
        screen.print(_agreement_table(f"{b}", result["b"]))
        screen.print(
            f"{b} agrees with the humans where {a} did not on {result['fixed']} targets, "
            f"and disagrees where {a} agreed on {result['broken']}."
        )
        return
    kind = "weighted kappa (linear)" if result.get("weighted") else "kappa"
    screen.print(
        f"{result['scorer']} {result['version']} against human labels of {result['labels_of']} ({kind}, "
        f"95% CI; TPR/TNR: passing = score >= {result.get('threshold', 0.5):g}):"
    )
    screen.print(humans_line(result))
    screen.print(_agreement_table("agreement by topic, worst first", result))
    if result.get("by_group"):
        screen.print(_agreement_table("agreement by topic group, worst first", result, "by_group", "group"))
    screen.print(_classes_table(result))
    screen.print(_confusion_table(result))


def print_alignment(report: dict[str, Any], min_topic_labels: int = 10) -> None:
    """`evaltui align`: each version's agreement on the test part next to the current one's,
    overall and per topic (and group) with enough test labels, and what was saved."""
    from rich.table import Table

    screen = console()
    rows = report["candidates"]
    screen.print(
        f"{report['scorer']}: {report['dev']} dev and {report['test']} test labels (seed {report['seed']}); "
        "weighted kappa [95% CI] on the test part:"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("version", "examples", "dev kappa", "test kappa [95% CI]", "test agree", "TPR", "TNR"):
        table.add_column(col, justify="left" if col == "version" else "right")
    for r in rows:
        t = r["test"]["overall"]
        mark = " *" if r["name"] == report["best"] else ""
        table.add_row(
            f"{r['name']}{mark}",
            str(r["examples"]),
            _num(r["dev"]["overall"]["kappa"], none="-"),
            kappa_with_ci(t),
            _num(t["accuracy"], "{:.0%}", "-"),
            _num(t["tpr"], "{:.0%}", "-"),
            _num(t["tnr"], "{:.0%}", "-"),
        )
    for s in report.get("stored") or []:
        t = s["test"]["overall"]
        table.add_row(
            f"{s['version']} (stored grades)",
            "",
            "",
            kappa_with_ci(t),
            _num(t["accuracy"], "{:.0%}", "-"),
            _num(t["tpr"], "{:.0%}", "-"),
            _num(t["tnr"], "{:.0%}", "-"),
            style="dim",
        )
    screen.print(table)
    current = rows[0]
    best = next(r for r in rows if r["name"] == report["best"])
    for key, first in (("by_topic", "topic"), ("by_group", "group")):
        parts = [p for p, a in current["test"][key].items() if a["n"] >= min_topic_labels]
        if not parts or best is current:
            continue
        per = Table(
            box=None,
            pad_edge=False,
            header_style="bold",
            title=f"test part by {first} (at least {min_topic_labels} labels)",
            title_justify="left",
        )
        stored = (report.get("stored") or [])[:1]
        for col in (
            first,
            "n",
            *(f"{s['version']} (stored)" for s in stored),
            "current kappa [95% CI]",
            f"{best['name']} kappa [95% CI]",
        ):
            per.add_column(col, justify="left" if col == first else "right")
        for p in sorted(parts, key=lambda p: current["test"][key][p]["kappa"] or 0):
            per.add_row(
                p,
                str(current["test"][key][p]["n"]),
                *(kappa_with_ci(s["test"][key].get(p) or {}) for s in stored),
                kappa_with_ci(current["test"][key][p]),
                kappa_with_ci(best["test"][key].get(p) or {}),
            )
        screen.print(per)
    if report["saved"]:
        screen.print(
            f"saved {best['name']} as {report['saved']} (version {report['best_version']}); score with "
            f"`evaltui score --scorer {report['saved']}`",
            markup=False,
            highlight=False,
        )
    else:
        screen.print("no candidate beat the current rubric on the dev part: nothing saved")


# -- topics ------------------------------------------------------------------------------


def _topic_score_table(keys: list[str], columns: list[tuple[str, int]], title: str | None = None):
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
    """`evaltui topics list`: the map, its topics and groups, then where it hurts."""
    screen = console()
    current = table["map"]
    if current:
        screen.print(
            f"map {current['id']} ({current['facet']}, {current['model']}): {current['n_topics']} topics", style="dim"
        )
    else:
        screen.print(
            "no topic map yet: topics are the logs' own tags (`evaltui topics build` makes a map)", style="dim"
        )
    keys = table["scorers"]
    out = _topic_score_table(keys, [("topic", 34), ("group", 24), ("label", 44), ("convs", 0)])
    for r in table["topics"]:
        out.add_row(
            r["topic"], r.get("group") or "", r["label"] or "", f"{r['conversations']:,}", *_score_cells(r, keys)
        )
    screen.print(out)
    if table.get("groups"):
        groups = _topic_score_table(keys, [("group", 34), ("label", 44), ("topics", 0), ("convs", 0)], title="groups")
        for g in table["groups"]:
            groups.add_row(
                g["topic"], g["label"] or "", str(len(g["topics"])), f"{g['conversations']:,}", *_score_cells(g, keys)
            )
        screen.print(groups)
    if table["where_it_hurts"]:
        screen.print(_hurt_table("where it hurts", "topic", table["where_it_hurts"]))
    if table.get("where_it_hurts_groups"):
        screen.print(_hurt_table("where it hurts, by group", "group", table["where_it_hurts_groups"][:5]))


def print_topic_detail(d: dict[str, Any]) -> None:
    """`evaltui topics show`: one topic's scores, daily trend and closest conversations."""
    from rich.table import Table

    screen = console()
    screen.print(f"[bold]{d['topic']}[/bold]  {d.get('name') or d.get('label') or ''}")
    if d.get("keywords"):
        screen.print("keywords: " + ", ".join(d["keywords"]), style="dim")
    screen.print(f"{d['conversations']:,} conversations")
    for k, s in d["scores"].items():
        screen.print(f"  {k}: mean {_num(s['mean'])}, failing {_num(s['fail_share'], '{:.0%}')} of {s['n']:,}")
    if d["trend"]:
        keys = list(d["scores"])
        trend = Table(box=None, pad_edge=False, header_style="bold", title="daily", title_justify="left")
        trend.add_column("day")
        trend.add_column("convs", justify="right")
        for k in keys:
            trend.add_column(k, justify="right")
        for day in d["trend"]:
            trend.add_row(day["day"], str(day["conversations"]), *(_num(day.get(k)) for k in keys))
        screen.print(trend)
    if d["examples"]:
        screen.print("closest to the centre:", style="bold")
        for e in d["examples"]:
            screen.print(f"  {e['distance']:.3f}  {e['span_id']}  {(e['text'] or '')[:100]}")


def failure_mode_lines(modes: list[dict[str, Any]]) -> list[str]:
    """Plain lines for failure modes: name, counts and sources, keywords, an example."""
    lines = []
    for i, m in enumerate(modes, 1):
        sources = ", ".join(f"{k} {v}" for k, v in m["sources"].items())
        people = f"; people passed {m['people_passed']} of the {m['labelled']} they labelled" if m["labelled"] else ""
        lines.append(f"{i}. {m['name']}  ({m['count']:,} failing, {m['share']:.0%}; {m['scorer']}: {sources}{people})")
        if m["keywords"]:
            lines.append(f"   keywords: {', '.join(m['keywords'])}")
        lines.append(f"   e.g. {m['example_span_id']}: {m['example_rationale'][:160]}")
    return lines


def print_failure_modes(modes: list[dict[str, Any]]) -> None:
    """`evaltui topics show`: why the topic's failing grades fail."""
    screen = console()
    if not modes:
        screen.print("no failing grades with a rationale in this topic", style="dim")
        return
    screen.print("failure modes (why its failing grades fail):", style="bold")
    for line in failure_mode_lines(modes):
        screen.print(line, markup=False, highlight=False)


def _hurt_table(title: str, level: str, rows: list[dict[str, Any]]) -> Any:
    """A "where it hurts" table of topics or groups (``level``), worst first as given."""
    from rich.table import Table

    hurt = Table(box=None, pad_edge=False, header_style="bold", title=title, title_justify="left")
    for col in (level, "scorer", "convs", "mean", "overall", "fail", "impact"):
        hurt.add_column(col, justify="left" if col in (level, "scorer") else "right")
    for h in rows:
        hurt.add_row(
            h[level],
            h["scorer"],
            f"{h['conversations']:,}",
            _num(h["mean"]),
            _num(h["overall_mean"]),
            _num(h["fail_share"], "{:.0%}"),
            _num(h["impact"], "{:.1f}"),
        )
    return hurt
