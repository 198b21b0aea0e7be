"""`evaltui pairwise BASE CANDIDATE --scorer RUBRIC`: an LLM judge picks the better output per case.

Only click is imported here; the judge, the store and rich are imported inside the command.
"""

from __future__ import annotations

from typing import Any

import click

from evaltui.cli.common import UserError, db_option, exit_for, open_store, user_errors


@click.command("pairwise")
@click.argument("base")
@click.argument("candidate")
@click.option(
    "--scorer",
    "rubric",
    required=True,
    metavar="RUBRIC",
    help="A rubric: built-in name (brand_alignment) or a rubric file; its criteria decide which is better.",
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the order each case is shown in first.")
@click.option("--no-cache", is_flag=True, help="Ask the model again even for requests answered before.")
@click.option("--json", "as_json", is_flag=True, help="The report (and every case) as one JSON object.")
@db_option
@user_errors
def pairwise(base: str, candidate: str, rubric: str, seed: int, no_cache: bool, as_json: bool) -> None:
    """Judge CANDIDATE's outputs against BASE's, case by case, in both orders.

    Each matched case is shown to the judge twice, the two outputs in a seeded random order
    and then swapped; two verdicts that differ make a tie, and their share is the
    swap-inconsistency rate. Prints win / tie / loss rates of the candidate with 95% Wilson
    intervals, overall and per bucket, and the judge's agreement with people's marks
    (`<` `>` `=` in the diff pane). Stored: the diff pane shows it; a second run resumes.
    """
    from evaltui.evals.pairwise_run import run_pairwise
    from evaltui.progress import ProgressBar

    with open_store() as store:
        bar = ProgressBar(f"pairwise {rubric}")

        def update(done: int, total: int) -> None:
            bar.update(completed=done, total=total)

        with bar:
            rep = run_pairwise(
                store,
                base,
                candidate,
                rubric,
                seed=seed,
                use_cache=False if no_cache else None,
                progress=update if bar.enabled else None,
            )
    if not rep.cases:
        raise UserError(
            f"{base} and {candidate} share no case with an output on both sides"
            + (f" ({rep.skipped} matched cases have a failed task)" if rep.skipped else "")
        )
    if as_json:
        from evaltui.cli.render import echo_json

        echo_json(rep.to_json())
    else:
        print_pairwise(rep)
    graded = rep.overall.n
    exit_for(graded, rep.overall.errors)


def _pct(rate: Any) -> str:
    if rate.rate is None:
        return "–"
    return f"{rate.rate:.0%} [{rate.ci_low:.0%}, {rate.ci_high:.0%}]"


def print_pairwise(rep: Any) -> None:
    """The report: a row overall and one per bucket, the swap-inconsistency, agreement with people."""
    from rich.table import Table

    from evaltui.cli.render import console

    screen = console(160)
    screen.print(
        f"[bold]{rep.candidate}[/bold] against [bold]{rep.base}[/bold], pairwise by {rep.scorer} "
        f"({rep.model}, seed {rep.seed}): win = the candidate's output is better; {rep.ci}"
    )
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("bucket", "n", "win", "tie", "loss", "swap-inconsistent", "errors"):
        table.add_column(col, justify="left" if col == "bucket" else "right", no_wrap=True)

    def add(name: str, s: Any, style: str = "") -> None:
        table.add_row(
            name,
            str(s.n),
            _pct(s.win),
            _pct(s.tie),
            _pct(s.loss),
            _pct(s.swap_inconsistent),
            str(s.errors),
            style=style,
        )

    for bucket, s in rep.buckets.items():
        if list(rep.buckets) != ["(none)"]:
            add(bucket, s)
    add("overall", rep.overall, "bold")
    screen.print(table)
    o = rep.overall
    if o.swap_inconsistent.k:
        screen.print(
            f"{o.swap_inconsistent.k} of {o.n} verdicts changed with the order (counted as ties): "
            f"{o.first_favoured} followed the output shown first, {o.second_favoured} the one shown second",
            style="yellow",
        )
    if rep.skipped:
        screen.print(f"{rep.skipped} matched cases left out: a side's task failed", style="dim")
    if o.errors:
        first = next(c["error"] for c in rep.cases if c.get("error"))
        screen.print(f"{o.errors} cases could not be judged (first: {first}); run again to retry them", style="red")
    a = rep.agreement
    if a.n:
        kappa = "–" if a.kappa is None else f"{a.kappa:.2f}"
        screen.print(
            f"agreement with people's marks: n {a.n}, {a.percent:.0%} agree, kappa {kappa} "
            f"(linear weighted; {', '.join(a.reviewers)})"
        )
    else:
        screen.print("no people's marks yet: mark the better side with < > = in the diff pane", style="dim")
    u = rep.usage
    if u:
        screen.print(
            f"model calls {u.get('calls', 0)}, from cache {u.get('cache_hits', 0)}, retries {u.get('retries', 0)}",
            style="dim",
        )
