"""`evaltui score | rescore | rules | label | calibrate`: online scoring, re-scoring,
human labels and calibration."""

from __future__ import annotations

from typing import Any

import click

from evaltui.cli.common import UserError, db_option, exit_for, open_store, user_errors
from evaltui.progress import ProgressBar


@click.command()
@click.option(
    "--scorer",
    "scorers",
    multiple=True,
    metavar="NAME",
    help="Scorer to run (repeatable): brand_alignment, conversation_quality, brand_alignment_offline, "
    "exact_match, levenshtein, contains:TEXT, regex:PATTERN, valid_json, json_diff, "
    "embedding_similarity, a rubric file, or module:attr.",
)
@click.option("--rule", "rules", multiple=True, metavar="NAME", help="Run a stored scoring rule (repeatable).")
@click.option("--where", default="", metavar="FILTER", help="Only spans matching this filter.")
@click.option(
    "--sample",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="Score this fraction of matching spans (the same spans on every run).",
)
@click.option(
    "--scope",
    default="auto",
    show_default=True,
    metavar="SCOPE",
    help="Spans to grade: conversation, turn, all, a span name, or auto (the scorer's own).",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=None, help="Scorer calls in flight.")
@click.option("--no-cache", is_flag=True, help="Ask the model again even for requests answered before.")
@click.option(
    "--follow",
    is_flag=True,
    help="Keep scoring newly ingested spans until interrupted (the file is let go while judging).",
)
@click.option(
    "--poll",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0.05),
    help="Seconds between passes with --follow.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per scorer.")
@db_option
@user_errors
def score(
    scorers: tuple[str, ...],
    rules: tuple[str, ...],
    where: str,
    sample: float,
    scope: str,
    concurrency: int | None,
    no_cache: bool,
    follow: bool,
    poll: float,
    as_json: bool,
) -> None:
    """Score stored spans that this scorer version has not scored yet.

    Idempotent and resumable: a second run does nothing; a new scorer version (an edited
    rubric, another judge model) re-scores the stored outputs, and earlier scores stay.
    """
    from evaltui.config import get_settings
    from evaltui.scoring.online import ScoringReport, score_pending
    from evaltui.scoring.online import follow as follow_scoring
    from evaltui.scoring.registry import resolve
    from evaltui.store.filters import compile_filter
    from evaltui.store.scoring import get_rule

    if not scorers and not rules:
        raise UserError("name a scorer (--scorer NAME) or a rule (--rule NAME)")
    if rules and (where or sample != 1.0 or scope != "auto"):
        raise UserError("--where, --sample and --scope belong to a rule; change the rule with `evaltui rules add`")
    compile_filter(where)
    workers = concurrency or get_settings().llm_concurrency
    use_cache = False if no_cache else None
    jobs: list[tuple[Any, dict[str, Any]]] = []
    with open_store() as store:
        for name in scorers:
            jobs.append(
                (
                    resolve(name, store=store, concurrency=workers, use_cache=use_cache),
                    {"where": where or None, "sample": sample, "scope": scope},
                )
            )
        for rule_name in rules:
            rule = get_rule(store, rule_name)
            for name in rule.scorers:
                jobs.append(
                    (
                        resolve(name, store=store, concurrency=workers, use_cache=use_cache),
                        {"where": rule.filter, "sample": rule.sample_rate, "scope": rule.scope},
                    )
                )

    def show(report: ScoringReport) -> None:
        if as_json:
            import orjson

            click.echo(orjson.dumps(report.__dict__).decode())
        else:
            click.echo(report.summary())

    if not follow:
        import asyncio

        outcome = [0, 0]  # spans done, spans failed

        async def run_all() -> None:
            for spec, options in jobs:
                bar = ProgressBar(spec.name, note=True)

                def update(done: int, total: int, errors: int) -> None:
                    bar.update(completed=done, total=total or None, note=f"{errors} errors" if errors else "")

                try:
                    with bar:  # the file held only in short steps: the app reads and writes meanwhile
                        report = await score_pending(
                            open_store,
                            spec,
                            concurrency=workers,
                            progress=update if bar.enabled else None,
                            **options,
                        )
                finally:
                    await spec.aclose()
                show(report)
                outcome[0] += report.scored + report.skipped
                outcome[1] += report.errors

        asyncio.run(run_all())
        exit_for(*outcome)
        return

    import threading

    stop = threading.Event()
    waited: list[str] = []

    def wait_note(message: str) -> None:
        if not waited:
            click.echo(f"waiting: {message}", err=True)
        waited.append(message)

    click.echo("scoring new spans as they arrive (Ctrl-C to stop)", err=True)
    try:
        follow_scoring(
            lambda: open_store(),
            jobs,
            stop=stop,
            poll_seconds=poll,
            concurrency=workers,
            on_report=show,
            on_wait=wait_note,
        )
    except KeyboardInterrupt:
        stop.set()


# -- rescore ---------------------------------------------------------------------


@click.command()
@click.argument("experiments", nargs=-1, required=True)
@click.option(
    "--scorer",
    "scorer",
    required=True,
    metavar="NAME",
    help="The judge to grade with, e.g. brand_alignment_offline (see `evaltui score --help`).",
)
@db_option
@user_errors
def rescore(experiments: tuple[str, ...], scorer: str) -> None:
    """Grade the stored outputs of EXPERIMENTS again with another scorer (no task re-run).

    The new grades sit next to the run's under the scorer's name and version, so
    `evaltui diff` compares both; a second run with the same scorer version does nothing.
    """
    from evaltui.evals.rescore import rescore_experiment
    from evaltui.scoring import resolve

    done = failed = 0
    with open_store() as store:
        spec = resolve(scorer, store=store)
        for name in experiments:
            report = rescore_experiment(store, name, spec)
            click.echo(report.summary())
            done, failed = done + report.scored, failed + report.errors
    exit_for(done, failed)


# -- rules -----------------------------------------------------------------------


@click.group()
def rules() -> None:
    """Online scoring rules: which scorers run on which spans, how often."""


@rules.command("add")
@click.argument("name")
@click.option("--scorer", "scorers", multiple=True, required=True, metavar="NAME", help="Scorer (repeatable).")
@click.option("--where", default="", metavar="FILTER", help="Only spans matching this filter.")
@click.option("--sample", default=1.0, show_default=True, type=click.FloatRange(0, 1, min_open=True))
@click.option("--scope", default="auto", show_default=True, help="conversation, turn, all, a span name, or auto.")
@db_option
@user_errors
def rules_add(name: str, scorers: tuple[str, ...], where: str, sample: float, scope: str) -> None:
    """Add or replace the rule NAME."""
    from evaltui.store.scoring import Rule, save_rule

    with open_store() as store:
        save_rule(store, Rule(name, list(scorers), where or None, sample, scope))
    click.echo(
        f"rule {name}: {', '.join(scorers)} on {scope} spans"
        + (f" where {where}" if where else "")
        + (f", sample {sample:g}" if sample < 1 else "")
    )


@rules.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@user_errors
def rules_list(as_json: bool) -> None:
    """List the scoring rules."""
    from evaltui.store.scoring import list_rules

    with open_store(read_only=True) as store:
        found = list_rules(store)
    if as_json:
        import orjson

        for r in found:
            click.echo(orjson.dumps(r.__dict__).decode())
        return
    if not found:
        click.echo("no scoring rules yet: evaltui rules add NAME --scorer SCORER [--where FILTER] [--sample RATE]")
    for r in found:
        click.echo(
            f"{r.name}: {', '.join(r.scorers)} | scope {r.scope} | sample {r.sample_rate:g}"
            + (f" | where {r.filter}" if r.filter else "")
        )


@rules.command("rm")
@click.argument("name")
@db_option
@user_errors
def rules_rm(name: str) -> None:
    """Delete the rule NAME."""
    from evaltui.store.scoring import delete_rule

    with open_store() as store:
        if not delete_rule(store, name):
            raise UserError(f"no scoring rule named {name!r}")
    click.echo(f"deleted rule {name}")


# -- labels and calibration ----------------------------------------------------------


@click.command()
@click.argument("target")
@click.argument("scorer")
@click.argument("value")
@click.option("--rationale", default=None, help="Why (kept with the label).")
@click.option(
    "--by",
    "labeller",
    default=None,
    metavar="NAME",
    help="The reviewer (default: $EVALTUI_REVIEWER, else the login name).",
)
@db_option
@user_errors
def label(target: str, scorer: str, value: str, rationale: str | None, labeller: str | None) -> None:
    """Record a human label: span TARGET, SCORER (e.g. brand_alignment), VALUE (a choice
    such as A, or a number in 0..1). Labels are the ground truth of `evaltui calibrate`."""
    from evaltui.scoring.human_labels import add_label

    with open_store() as store:
        row = add_label(store, target, scorer, value, rationale=rationale, labeller=labeller)
    click.echo(f"labelled {row.target_id}: {row.scorer} = {row.label or ''} ({row.score:g})")


@click.command()
@click.argument("scorer")
@click.option(
    "--version",
    "versions",
    multiple=True,
    metavar="V",
    help="Scorer version (default: the newest); give two to compare them.",
)
@click.option("--against", default=None, metavar="SCORER", help="Whose human labels (default: the scorer's rubric).")
@click.option(
    "--reviewer",
    default=None,
    metavar="NAME",
    help="Compare with this reviewer's labels (default: the majority of the reviewers' labels).",
)
@click.option(
    "--disagreements",
    "show_disagreements",
    is_flag=True,
    help="List the targets where scorer and humans disagree, worst first, with rationale and note.",
)
@click.option("--limit", type=int, default=20, show_default=True, help="How many disagreements to print.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@db_option
@user_errors
def calibrate(
    scorer: str,
    versions: tuple[str, ...],
    against: str | None,
    reviewer: str | None,
    show_disagreements: bool,
    limit: int,
    as_json: bool,
) -> None:
    """How well SCORER agrees with human labels: n, percent agreement, Cohen's kappa (weighted
    for ordinal scales such as A/B/C) with its 95% CI, pass/fail TPR and TNR, per-grade
    precision and recall and the confusion matrix, overall, per topic and per topic group;
    and how the reviewers agree with each other."""
    from evaltui.scoring.review import human_agreement
    from evaltui.scoring.span_calibration import calibrate as run

    with open_store(read_only=True) as store:
        result = run(store, scorer, versions=versions, against=against, reviewer=reviewer)
        result["humans"] = human_agreement(store, result["labels_of"])
    if as_json:
        import orjson

        click.echo(orjson.dumps(result).decode())
        return
    from evaltui.cli.render import print_calibration, print_disagreements

    if show_disagreements and "disagreements" in result:
        print_disagreements(result["disagreements"], limit)
        return
    print_calibration(result)
