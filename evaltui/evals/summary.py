"""What an eval run reports at the end: per score and per metric, against the base."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from evaltui.evals.compare import compare
from evaltui.evals.stats import mean

if TYPE_CHECKING:
    from evaltui.config import Settings


@dataclass
class ScoreSummary:
    name: str
    score: float | None  # mean over every scored result (trials count one by one)
    diff: float | None = None  # minus the base experiment's mean
    improvements: int | None = None  # matched cases that went up / down against the base
    regressions: int | None = None


@dataclass
class MetricSummary:
    name: str
    metric: float | None
    unit: str = ""
    diff: float | None = None


@dataclass
class ExperimentSummary:
    project_name: str | None
    experiment_name: str
    experiment_id: str
    comparison_experiment_name: str | None
    dataset: str | None
    dataset_version: int | None
    cases: int
    results: int
    errors: int
    ran: int  # results made by this run (the rest were resumed)
    scores: dict[str, ScoreSummary] = field(default_factory=dict)
    metrics: dict[str, MetricSummary] = field(default_factory=dict)
    # per scorer that failed on some results: {"count": N, "example": the first reason}
    scorer_errors: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: int = 0  # results whose task failed, or whose every scorer failed (exit codes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvalResult:
    """One (case, trial) this run produced."""

    input: Any
    output: Any
    scores: dict[str, float | None]
    expected: Any = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    error: str | None = None
    trial: int = 0
    case_id: str = ""


@dataclass
class EvalResultWithSummary:
    summary: ExperimentSummary
    results: list[EvalResult]


def _metrics(results: list[dict[str, Any]]) -> dict[str, float | None]:
    durations = [r["duration_s"] for r in results if r.get("duration_s") is not None]
    out: dict[str, float | None] = {"duration": mean(durations)}
    tokens = []
    for r in results:
        m = r.get("metrics") or {}
        t = m.get("tokens")
        if t is None and ("prompt_tokens" in m or "completion_tokens" in m):
            t = (m.get("prompt_tokens") or 0) + (m.get("completion_tokens") or 0)
        if t is not None:
            tokens.append(float(t))
    if tokens:
        out["tokens"] = mean(tokens)
    return out


def summarize(
    experiment: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    cases: int,
    ran: int,
    base: dict[str, Any] | None,
    base_results: list[dict[str, Any]] | None,
    dataset: str | None,
    settings: Settings | None = None,
) -> ExperimentSummary:
    summary = ExperimentSummary(
        project_name=experiment["project"],
        experiment_name=experiment["name"],
        experiment_id=experiment["id"],
        comparison_experiment_name=base["name"] if base else None,
        dataset=dataset,
        dataset_version=experiment["dataset_version"],
        cases=cases,
        results=len(results),
        errors=sum(1 for r in results if r.get("error")),
        ran=ran,
    )
    comparison = compare(base_results, results, settings=settings) if base_results is not None else None

    def all_scores(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
        acc: dict[str, list[float]] = {}
        for r in rows:
            for name, s in (r.get("scores") or {}).items():
                if s.get("score") is not None:
                    acc.setdefault(name, []).append(float(s["score"]))
        return acc

    mine, theirs = all_scores(results), all_scores(base_results or [])
    for name in sorted(mine):
        m = mean(mine[name])
        other = mean(theirs[name]) if name in theirs else None
        diff = m - other if m is not None and other is not None else None
        d = comparison.scores.get(name) if comparison else None
        summary.scores[name] = ScoreSummary(name, m, diff, d.improvements if d else None, d.regressions if d else None)
    for r in results:
        for name, s in (r.get("scores") or {}).items():
            if s.get("error"):
                entry = summary.scorer_errors.setdefault(name, {"count": 0, "example": s["error"]})
                entry["count"] += 1
        scores = (r.get("scores") or {}).values()
        summary.failed += bool(r.get("error") or (scores and all(s.get("error") for s in scores)))
    base_metrics = _metrics(base_results) if base_results else {}
    for name, value in _metrics(results).items():
        other = base_metrics.get(name)
        unit = "s" if name == "duration" else "tok"
        summary.metrics[name] = MetricSummary(
            name, value, unit, value - other if value is not None and other is not None else None
        )
    return summary


def render(summary: ExperimentSummary, file: Any = None) -> None:
    """The summary table (rich), as the CLI and ``Eval`` print it."""
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=file or sys.stdout, width=None if (file or sys.stdout).isatty() else 120)
    head = f"[bold]{summary.experiment_name}[/bold]"
    if summary.comparison_experiment_name:
        head += f" compared to [bold]{summary.comparison_experiment_name}[/bold]"
    resumed = summary.results - summary.ran
    console.print(
        f"{head}: {summary.results} results for {summary.cases} cases"
        + (f", {summary.errors} errors" if summary.errors else "")
        + (f" ({resumed} from an earlier run)" if resumed > 0 else "")
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, justify in (
        ("score", "left"),
        ("mean", "right"),
        ("diff", "right"),
        ("improvements", "right"),
        ("regressions", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]

    def pct(v: float | None, signed: bool = False) -> str:
        return "" if v is None else (f"{v * 100:+.2f}%" if signed else f"{v * 100:.2f}%")

    for s in summary.scores.values():
        diff = pct(s.diff, signed=True)
        style = "green" if (s.diff or 0) > 0 else "red" if (s.diff or 0) < 0 else ""
        table.add_row(
            s.name,
            pct(s.score),
            f"[{style}]{diff}[/{style}]" if style else diff,
            "" if s.improvements is None else str(s.improvements),
            "" if s.regressions is None else str(s.regressions),
        )
    for m in summary.metrics.values():
        fmt = (lambda v: f"{v:.3f}{m.unit}") if m.unit == "s" else (lambda v: f"{v:.1f}{m.unit}")
        table.add_row(
            m.name,
            "" if m.metric is None else fmt(m.metric),
            "" if m.diff is None else ("+" if m.diff >= 0 else "") + fmt(m.diff),
            "",
            "",
        )
    console.print(table)
    for name, err in summary.scorer_errors.items():  # a scorer that failed must not pass unseen
        console.print(
            f"[red]{escape(name)}: {err['count']} scorer error{'s' if err['count'] != 1 else ''}[/red], "
            f"e.g. {escape(err['example'])}",
            highlight=False,
        )
