"""`evaltui eval | experiments | diff`: steps 3-5 of the loop on the command line.

Only click is imported here; everything heavy is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from evaltui.cli.common import ExitCode, UserError, db_option, db_path, exit_for, open_store, user_errors


# -- eval ------------------------------------------------------------------------


@click.command("eval")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="[PATH=]REGEX",
    help="PATH=REGEX: only the cases whose field matches (e.g. metadata.priority='^P0$', as `braintrust eval` "
    "filters); REGEX alone: only the evals whose name matches. Repeatable: all must match.",
)
@click.option("--list", "list_only", is_flag=True, help="List the evals in the files; run nothing.")
@click.option("--jsonl", is_flag=True, help="Print each eval's summary as one JSON line instead of a table.")
@click.option(
    "--num-workers",
    "--max-concurrency",
    "workers",
    type=click.IntRange(min=1),
    default=None,
    help="Cases in flight per eval, over each Eval's own max_concurrency.",
)
@click.option("--no-send-logs", is_flag=True, help="Accepted for `braintrust eval`: evaltui sends nothing anywhere.")
@db_option
@user_errors
def eval_command(
    paths: tuple[Path, ...],
    filters: tuple[str, ...],
    list_only: bool,
    jsonl: bool,
    workers: int | None,
    no_send_logs: bool,
) -> None:
    """Run every Eval(...) in the files (a folder: every eval_*.py and *.eval.py under it), as `braintrust eval` does.

    An interrupted run resumes when run again; a finished experiment's name gets a suffix.
    """
    import asyncio
    import dataclasses

    from evaltui.evals import registry
    from evaltui.evals.case_filter import parse_filters
    from evaltui.evals.launch import braintrust_eval_files
    from evaltui.evals.runner import run_evaluator
    from evaltui.evals.summary import render

    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise UserError(f"no file at {path}")
        found = braintrust_eval_files(path) if path.is_dir() else [path]
        if path.is_dir() and not found:
            raise UserError(f"no eval_*.py or *.eval.py files under {path}")
        files += [f for f in found if f not in files]
    try:
        by_name, by_field = parse_filters(filters)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    loaded: list[tuple[Path, Any]] = []
    load_failures = 0
    for file in files:
        try:
            loaded += [(file, e) for e in _load_eval_file(file, registry)]
        except UserError as exc:
            if len(files) == 1:
                raise
            exc.show()  # one file of several: say so, run the others
            load_failures += 1
    if not loaded and not load_failures:
        raise UserError(
            f"{files[0] if len(files) == 1 else 'these files'} define{'s' if len(files) == 1 else ''} no Eval(...)"
        )
    if not loaded:
        raise UserError("no eval file loaded")
    chosen = [(f, e) for f, e in loaded if all(r.search(e.name) or r.search(e.experiment_name or "") for r in by_name)]
    if list_only:
        for f, e in chosen:
            line = e.name if not e.experiment_name else f"{e.name}\t{e.experiment_name}"
            click.echo(line if len(files) == 1 else f"{line}\t{f}")
        return
    if not chosen:
        raise UserError(f"no eval in {', '.join(map(str, files))} matches {' '.join(filters)!r}")
    done = failed = 0
    with registry.using(db_path(), quiet=True):
        for _, e in chosen:
            if by_field:
                e = dataclasses.replace(e, case_filters=list(by_field))
            if workers is not None:
                e = dataclasses.replace(e, max_concurrency=workers)
            result = asyncio.run(run_evaluator(e))
            if jsonl:
                from evaltui.cli.render import echo_json

                echo_json(result.summary.to_json())
            else:
                render(result.summary)
            done, failed = done + result.summary.results - result.summary.failed, failed + result.summary.failed
    exit_for(done, failed + load_failures)


def _load_eval_file(file: Path, registry: Any) -> list[Any]:
    """The Eval(...) calls of one file, collected (not run); UserError when it fails to load."""
    import runpy
    import sys

    folder = str(file.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    with registry.collect() as evaluators, registry.using(db_path()):
        try:
            runpy.run_path(str(file), run_name="__evaltui_eval__")
        except SystemExit as exc:
            # sys.exit(0) after the Evals are defined is a clean end; anything else is the file failing.
            if exc.code not in (None, 0) or not evaluators:
                from evaltui.llm.client import redact_configured

                raise UserError(
                    redact_configured(
                        f"{file} raised SystemExit({exc.code!r}) while loading"
                        + ("" if evaluators else ", before defining any Eval(...)")
                    )
                ) from None
        except Exception as exc:
            import traceback

            from evaltui.llm.client import redact_configured

            click.echo(redact_configured(traceback.format_exc()).rstrip(), err=True)
            raise UserError(redact_configured(f"{file} failed to load: {type(exc).__name__}: {exc}")) from None
    return list(evaluators)


# -- experiments -----------------------------------------------------------------


@click.group("experiments")
def experiments() -> None:
    """List experiments and show their cases."""


@experiments.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per experiment.")
@db_option
@user_errors
def experiments_list(as_json: bool) -> None:
    """Experiments, newest first: status, dataset version, results, errors, mean per score."""
    from evaltui.store import experiments as exp_store

    with open_store(read_only=True) as store:
        rows = exp_store.list_experiments(store)
    from evaltui.cli.render import echo_json, print_experiments

    if as_json:
        for r in rows:
            echo_json({k: v for k, v in r.items() if k != "id"})
        return
    print_experiments(rows)


@experiments.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The experiment and every case as one JSON object.")
@db_option
@user_errors
def experiments_show(name: str, as_json: bool) -> None:
    """Every case of an experiment: record id, trial, input, output, error, scores, duration."""
    from evaltui.store import experiments as exp_store

    from evaltui.store.datasets import dataset_name
    from evaltui.store.prompts import experiment_prompts

    with open_store(read_only=True) as store:
        exp = exp_store.require_experiment(store, name)
        results = exp_store.load_results(store, exp["id"])
        base = exp_store.get_experiment(store, exp["base_experiment_id"]) if exp["base_experiment_id"] else None
        dataset = dataset_name(store, exp["dataset_id"]) if exp["dataset_id"] else None
        prompts = experiment_prompts(store, exp["id"])
    cases = [
        {
            "case_id": r["case_id"],
            "record_id": r["record_id"],
            "trial": r["trial"],
            "bucket": r["bucket"],
            "input": r["input"],
            "expected": r["expected"],
            "output": r["output"],
            "error": r["error"],
            "scores": r["scores"],
            "duration_s": r["duration_s"],
            "metadata": r["metadata"],
            "metrics": r["metrics"],
        }
        for r in results
    ]
    import orjson

    task = orjson.loads(exp["task"]) if exp["task"] else {}
    header = {
        "name": exp["name"],
        "project": exp["project"],
        "status": exp["status"] if exp["status"] == "finished" else "interrupted",
        "dataset": dataset,
        "dataset_version": exp["dataset_version"],
        "trial_count": exp["trial_count"],
        "base_experiment": base["name"] if base else None,
        "created": exp["created"],
        "task": exp["task"],
        "scorers": (task or {}).get("scorers") or [],
        "prompts": prompts,
    }
    from evaltui.cli.render import echo_json, print_experiment

    if as_json:
        header["task"] = task or None
        echo_json({**header, "cases": cases})
        return
    print_experiment(header, cases)


# -- diff ------------------------------------------------------------------------


@click.command("diff")
@click.argument("base")
@click.argument("candidate")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a score regresses significantly.")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1), help="Significance level.")
@db_option
@user_errors
def diff(base: str, candidate: str, as_json: bool, fail_on_regression: bool, alpha: float) -> None:
    """Compare two experiments case by case: per score and per bucket, with paired statistics."""
    from evaltui.evals.compare import compare_experiments

    with open_store(read_only=True) as store:
        comparison = compare_experiments(store, base, candidate)
    from evaltui.cli.render import echo_json, print_comparison

    if as_json:
        echo_json(comparison.to_json())
    else:
        print_comparison(comparison, alpha=alpha)
    regressed = comparison.regressions(alpha)
    if fail_on_regression and regressed:
        click.echo(f"regression: {', '.join(regressed)} (p < {alpha:g})", err=True)
        raise click.exceptions.Exit(ExitCode.REGRESSION)
