"""`evaltui eval | experiments | diff | datasets`: steps 3-5 of the loop on the command line.

Only click is imported here; everything heavy is imported inside the commands.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import click

from evaltui.cli import UserError, db_option, open_store, user_errors

EXIT_REGRESSION = 1


def eval_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """One-line messages for eval errors, on top of the shared ones."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evaltui.evals.runner import EvalError

        try:
            return fn(*args, **kwargs)
        except EvalError as exc:
            raise UserError(str(exc)) from None

    return user_errors(wrapper)


def _db() -> str | None:
    return (click.get_current_context().find_root().obj or {}).get("db")


def _echo_json(obj: Any) -> None:
    import orjson

    click.echo(orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS).decode())


def _console():
    import sys

    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


# -- eval ------------------------------------------------------------------------


@click.command("eval")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--filter", "pattern", default=None, metavar="REGEX", help="Only the evals whose name matches.")
@click.option("--list", "list_only", is_flag=True, help="List the evals in the file; run nothing.")
@click.option("--jsonl", is_flag=True, help="Print each eval's summary as one JSON line instead of a table.")
@db_option
@eval_errors
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
    with registry.collect() as evaluators, registry.using(_db()):
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
    from evaltui.cli import exit_for

    done = failed = 0
    with registry.using(_db(), quiet=True):
        for e in chosen:
            result = asyncio.run(run_evaluator(e))
            if jsonl:
                _echo_json(result.summary.to_json())
            else:
                render(result.summary)
            done, failed = done + result.summary.results - result.summary.failed, failed + result.summary.failed
    exit_for(done, failed)


# -- experiments -----------------------------------------------------------------


@click.group("experiments")
def experiments_group() -> None:
    """List experiments and show their cases."""


@experiments_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per experiment.")
@db_option
@eval_errors
def experiments_list(as_json: bool) -> None:
    """Experiments, newest first: status, dataset version, results, errors, mean per score."""
    from evaltui.store import experiments as exp_store

    with open_store(read_only=True) as store:
        rows = exp_store.list_experiments(store)
    if as_json:
        for r in rows:
            _echo_json({k: v for k, v in r.items() if k != "id"})
        return
    from rich.table import Table

    names = sorted({n for r in rows for n in r["scores"]})
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("experiment", "status", "created", "dataset", "results", "errors", *names):
        table.add_column(col, justify="right" if col in ("results", "errors", *names) else "left")
    for r in rows:
        status = r["status"] if r["status"] == "finished" else "interrupted"
        dataset = f"{r['dataset']}@v{r['dataset_version']}" if r["dataset"] else ""
        table.add_row(r["name"], status, r["created"].strftime("%Y-%m-%d %H:%M") if r["created"] else "", dataset,
                      str(r["results"]), str(r["errors"]),
                      *("" if r["scores"].get(n) is None else f"{r['scores'][n]:.2f}" for n in names))
    _console().print(table)


@experiments_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="The experiment and every case as one JSON object.")
@db_option
@eval_errors
def experiments_show(name: str, as_json: bool) -> None:
    """Every case of an experiment: record id, trial, input, output, error, scores, duration."""
    from evaltui.store import experiments as exp_store

    with open_store(read_only=True) as store:
        exp = exp_store.require_experiment(store, name)
        results = exp_store.load_results(store, exp["id"])
        base = exp_store.get_experiment(store, exp["base_experiment_id"]) if exp["base_experiment_id"] else None
    cases = [{"case_id": r["case_id"], "record_id": r["record_id"], "trial": r["trial"], "bucket": r["bucket"],
              "input": r["input"], "expected": r["expected"], "output": r["output"], "error": r["error"],
              "scores": r["scores"], "duration_s": r["duration_s"], "metadata": r["metadata"], "metrics": r["metrics"]}
             for r in results]
    header = {"name": exp["name"], "project": exp["project"],
              "status": exp["status"] if exp["status"] == "finished" else "interrupted",
              "dataset_version": exp["dataset_version"], "trial_count": exp["trial_count"],
              "base_experiment": base["name"] if base else None, "created": exp["created"], "task": exp["task"]}
    if as_json:
        import orjson

        header["task"] = orjson.loads(exp["task"]) if exp["task"] else None
        _echo_json({**header, "cases": cases})
        return
    from rich.table import Table

    from evaltui.text import preview

    import orjson

    console = _console()
    console.print(f"[bold]{exp['name']}[/bold] ({header['status']}, {len(cases)} results"
                  + (f", base {header['base_experiment']}" if base else "") + ")")
    names = sorted({n for c in cases for n in c["scores"]})
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("case", "trial", "input", "output", *names, "duration"):
        table.add_column(col, justify="right" if col in ("trial", "duration", *names) else "left",
                         no_wrap=True, overflow="ellipsis", max_width=40 if col in ("input", "output") else None)
    for c in cases:
        def cell(n: str) -> str:
            s = c["scores"].get(n)
            if s is None:
                return ""
            return "err" if s.get("error") else ("" if s.get("score") is None else f"{s['score']:.2f}")
        output = ("ERROR " + c["error"].strip().splitlines()[-1]) if c["error"] else preview(orjson.dumps(c["output"]).decode())
        table.add_row(c["record_id"] or c["case_id"], str(c["trial"]), preview(orjson.dumps(c["input"]).decode()),
                      output, *(cell(n) for n in names), f"{c['duration_s']:.2f}s")
    console.print(table)


# -- diff ------------------------------------------------------------------------


@click.command("diff")
@click.argument("base")
@click.argument("candidate")
@click.option("--json", "as_json", is_flag=True, help="The comparison as one JSON object.")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a score regresses significantly.")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0, 1), help="Significance level.")
@db_option
@eval_errors
def diff_command(base: str, candidate: str, as_json: bool, fail_on_regression: bool, alpha: float) -> None:
    """Compare two experiments case by case: per score and per bucket, with paired statistics."""
    from evaltui.evals.compare import compare_experiments

    with open_store(read_only=True) as store:
        comparison = compare_experiments(store, base, candidate)
    if as_json:
        _echo_json(comparison.to_json())
    else:
        from evaltui.evals.render import print_comparison

        print_comparison(comparison, _console(), alpha=alpha)
    regressed = comparison.regressions(alpha)
    if fail_on_regression and regressed:
        click.echo(f"regression: {', '.join(regressed)} (p < {alpha:g})", err=True)
        raise click.exceptions.Exit(EXIT_REGRESSION)


# -- datasets --------------------------------------------------------------------


@click.group("datasets")
def datasets_group() -> None:
    """Datasets from logs or files: create, add, remove, list, show, import, export."""


def _bucket_counts(options: dict[str, int | None]) -> dict[str, int | None]:
    return {k: options[k] for k in ("failing", "borderline", "passing")}


def _sample_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for opt in reversed([
        click.option("--where", "where", default="", metavar="FILTER", help="Which conversations (the logs filter language)."),
        click.option("--failing", type=click.IntRange(min=0), default=None, metavar="N", help="Take N failing cases."),
        click.option("--borderline", type=click.IntRange(min=0), default=None, metavar="M", help="Take M borderline cases."),
        click.option("--passing", type=click.IntRange(min=0), default=None, metavar="K", help="Take K passing cases."),
        click.option("--seed", default=0, show_default=True, help="Seed of the stratified sample."),
        click.option("--scorer", "scorers", multiple=True, metavar="NAME", help="Bucket by these scorers only (default: all)."),
        click.option("--expected-from-output", is_flag=True, help="Use each span's output as the expected output."),
    ]):
        fn = opt(fn)
    return fn


def _print_suggestion(name: str, suggestion: Any, version: int | None, *, exists: bool = True) -> None:
    order = ("failing", "borderline", "passing", "unscored")
    parts = [f"{b} {suggestion.taken.get(b, 0)} of {suggestion.matched[b]}" for b in order if b in suggestion.matched]
    made = (f"version {version}" if version else "no change (the records are there already)" if exists
            else "not created (nothing to add)")
    click.echo(f"{name}: {made}: " + (", ".join(parts) if parts else "no conversation matches"))


@datasets_group.command("create")
@click.argument("name")
@_sample_options
@click.option("--project", default=None, help="A project label.")
@db_option
@eval_errors
def datasets_create(name: str, where: str, failing: int | None, borderline: int | None, passing: int | None,
                    seed: int, scorers: tuple[str, ...], expected_from_output: bool, project: str | None) -> None:
    """Make dataset NAME from the conversations matching --where.

    Without counts every match is taken; with them, a seeded stratified sample.
    """
    from evaltui.curation.dataset import create_from_logs

    with open_store() as store:
        info, suggestion, version = create_from_logs(
            store, name, where, failing=failing, borderline=borderline, passing=passing, seed=seed,
            scorers=list(scorers) or None, expected_from_output=expected_from_output, project=project)
    _print_suggestion(name, suggestion, version, exists=info is not None)


@datasets_group.command("add")
@click.argument("name")
@_sample_options
@db_option
@eval_errors
def datasets_add(name: str, where: str, failing: int | None, borderline: int | None, passing: int | None,
                 seed: int, scorers: tuple[str, ...], expected_from_output: bool) -> None:
    """Add matching conversations to dataset NAME as a new version."""
    from evaltui.curation.dataset import create_from_logs
    from evaltui.store.datasets import require_dataset

    with open_store() as store:
        require_dataset(store, name)
        _, suggestion, version = create_from_logs(
            store, name, where, failing=failing, borderline=borderline, passing=passing, seed=seed,
            scorers=list(scorers) or None, expected_from_output=expected_from_output, add=True)
    _print_suggestion(name, suggestion, version)


@datasets_group.command("remove")
@click.argument("name")
@click.argument("record_ids", nargs=-1, required=True)
@db_option
@eval_errors
def datasets_remove(name: str, record_ids: tuple[str, ...]) -> None:
    """Remove records from dataset NAME as a new version (older versions keep them)."""
    from evaltui.store import datasets as ds_store

    with open_store() as store:
        info = ds_store.require_dataset(store, name)
        version = ds_store.new_version(store, info.id, remove=record_ids, note=f"remove {len(record_ids)}")
    click.echo(f"{name}: version {version}" if version else f"{name}: no change (no such records)")


@datasets_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per dataset.")
@db_option
@eval_errors
def datasets_list(as_json: bool) -> None:
    """Datasets with their latest version and record count."""
    from dataclasses import asdict

    from evaltui.store.datasets import list_datasets

    with open_store(read_only=True) as store:
        rows = [asdict(d) for d in list_datasets(store)]
    if as_json:
        for r in rows:
            r.pop("id")
            _echo_json(r)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("dataset", "version", "records", "created", "description"):
        table.add_column(col, justify="right" if col in ("version", "records") else "left")
    for r in rows:
        table.add_row(r["name"], str(r["version"]), str(r["records"]),
                      r["created"].strftime("%Y-%m-%d %H:%M") if r["created"] else "", r["description"] or "")
    _console().print(table)


@datasets_group.command("show")
@click.argument("name")
@click.option("--version", "version", type=int, default=None, help="An older version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@db_option
@eval_errors
def datasets_show(name: str, version: int | None, as_json: bool) -> None:
    """The records of a dataset version, with their bucket and origin span."""
    from evaltui.curation.dataset import load_records
    from evaltui.store.datasets import versions

    with open_store(read_only=True) as store:
        info, v, records = load_records(store, name, version)
        history = versions(store, info.id)
    if as_json:
        for r in records:
            _echo_json(r)
        return
    from collections import Counter

    from rich.table import Table

    import orjson

    from evaltui.text import preview

    console = _console()
    buckets = Counter(r["bucket"] or "(none)" for r in records)
    console.print(f"[bold]{name}[/bold] version {v} of {info.version}: {len(records)} records ("
                  + ", ".join(f"{b} {n}" for b, n in sorted(buckets.items())) + ")")
    for h in history:
        console.print(f"  v{h['version']}  {h['created']:%Y-%m-%d %H:%M}  +{h['added']} -{h['removed']}  "
                      f"= {h['records']}  {h['note'] or ''}", style="dim")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("id", "bucket", "input", "expected"):
        table.add_column(col, no_wrap=True, overflow="ellipsis", max_width=60 if col == "input" else 30)
    for r in records:
        table.add_row(r["id"], r["bucket"] or "", preview(orjson.dumps(r["input"]).decode()),
                      "" if r["expected"] is None else preview(orjson.dumps(r["expected"]).decode()))
    console.print(table)


@datasets_group.command("export")
@click.argument("name")
@click.option("--format", "fmt", required=True, type=click.Choice(["jsonl", "csv", "parquet", "braintrust"]))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default, or -: stdout).")
@click.option("--version", "version", type=int, default=None, help="An older version (default: the latest).")
@db_option
@eval_errors
def datasets_export(name: str, fmt: str, output: Path | None, version: int | None) -> None:
    """Write a dataset version to stdout or -o FILE as JSONL, CSV, Parquet or Braintrust rows."""
    import sys

    from evaltui.curation.dataset import export_file

    # The dataset's name never becomes a path: a name such as ../victim must not choose a file.
    to_stdout = output is None or str(output) == "-"
    if to_stdout and fmt == "parquet" and sys.stdout.isatty():
        raise UserError("Parquet is binary: give -o FILE, or redirect stdout to a file")
    with open_store(read_only=True) as store:
        if to_stdout:
            sys.stdout.flush()
            n = export_file(store, name, sys.stdout.buffer, fmt, version=version)
            sys.stdout.buffer.flush()
        else:
            n = export_file(store, name, output, fmt, version=version)
    click.echo(f"{name}: {n} records -> {'stdout' if to_stdout else output}", err=True)


@datasets_group.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "jsonl", "csv", "parquet", "braintrust"]))
@db_option
@eval_errors
def datasets_import(name: str, file: Path, fmt: str) -> None:
    """Add the records of FILE to dataset NAME (created if missing) as a new version.

    Bad lines are reported as FILE:LINE: reason and skipped; the good ones are kept.
    """
    from evaltui.cli import exit_for
    from evaltui.curation.dataset import import_file

    with open_store() as store:
        _, report, version = import_file(store, name, file, fmt)
    for bad in report.bad:
        click.echo(bad, err=True)
    click.echo(f"{name}: {'version ' + str(version) if version else 'no change'}: kept {len(report.records)}, "
               f"skipped {len(report.bad)}")
    exit_for(len(report.records), len(report.bad))


def register(main: click.Group) -> None:
    """Attach these commands to the `evaltui` group."""
    for command in (eval_command, experiments_group, diff_command, datasets_group):
        main.add_command(command)
