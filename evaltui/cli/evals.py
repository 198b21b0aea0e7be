"""`evaltui eval | experiments | diff`: steps 3-5 of the loop on the command line.

Only click is imported here; everything heavy is imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import click

from evaltui.cli.common import ExitCode, UserError, db_option, db_path, exit_for, open_store, user_errors


# -- eval ------------------------------------------------------------------------


@click.command("eval")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--filter", "pattern", default=None, metavar="REGEX", help="Only the evals whose name matches.")
@click.option("--list", "list_only", is_flag=True, help="List the evals in the file; run nothing.")
@click.option("--jsonl", is_flag=True, help="Print each eval's summary as one JSON line instead of a table.")
@db_option
@user_errors
def eval_command(file: Path, pattern: str | None, list_only: bool, jsonl: bool) -> None:
    """Run every Eval(...) in FILE.py, as `braintrust eval` does.

    An interrupted run resumes when run again; a finished experiment's name gets a suffix.
    """
    import asyncio
    import re
    import runpy
    import sys

    from evaltui.evals import registry
    from evaltui.evals.runner import run_evaluator
    from evaltui.evals.summary import render

    if not file.exists():
        raise UserError(f"no file at {file}")
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise UserError(f"bad --filter regex: {exc}") from None
    sys.path.insert(0, str(file.resolve().parent))
    with registry.collect() as evaluators, registry.using(db_path()):
        try:
            runpy.run_path(str(file), run_name="__evaltui_eval__")
        except SystemExit as exc:
            # sys.exit(0) after the Evals are defined is a clean end; anything else is the file failing.
            if exc.code not in (None, 0) or not evaluators:
                from evaltui.llm.client import redact_configured

                raise UserError(redact_configured(f"{file} raised SystemExit({exc.code!r}) while loading"
                                                  + ("" if evaluators else ", before defining any Eval(...)"))) from None
        except Exception as exc:
            import traceback

            from evaltui.llm.client import redact_configured

            click.echo(redact_configured(traceback.format_exc()).rstrip(), err=True)
            raise UserError(redact_configured(f"{file} failed to load: {type(exc).__name__}: {exc}")) from None
    if not evaluators:
        raise UserError(f"{file} defines no Eval(...)")
    chosen = [e for e in evaluators if regex is None or regex.search(e.name) or regex.search(e.experiment_name or "")]
    if list_only:
        for e in chosen:
            click.echo(e.name if not e.experiment_name else f"{e.name}\t{e.experiment_name}")
        return
    if not chosen:
        raise UserError(f"no eval in {file} matches {pattern!r}")
    done = failed = 0
    with registry.using(db_path(), quiet=True):
        for e in chosen:
            result = asyncio.run(run_evaluator(e))
            if jsonl:
                from evaltui.cli.render import echo_json

                echo_json(result.summary.to_json())
            else:
                render(result.summary)
            done, failed = done + result.summary.results - result.summary.failed, failed + result.summary.failed
    exit_for(done, failed)


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
    cases = [{"case_id": r["case_id"], "record_id": r["record_id"], "trial": r["trial"], "bucket": r["bucket"],
              "input": r["input"], "expected": r["expected"], "output": r["output"], "error": r["error"],
              "scores": r["scores"], "duration_s": r["duration_s"], "metadata": r["metadata"], "metrics": r["metrics"]}
             for r in results]
    import orjson

    task = orjson.loads(exp["task"]) if exp["task"] else {}
    header = {"name": exp["name"], "project": exp["project"],
              "status": exp["status"] if exp["status"] == "finished" else "interrupted",
              "dataset": dataset, "dataset_version": exp["dataset_version"], "trial_count": exp["trial_count"],
              "base_experiment": base["name"] if base else None, "created": exp["created"], "task": exp["task"],
              "scorers": (task or {}).get("scorers") or [], "prompts": prompts}
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
