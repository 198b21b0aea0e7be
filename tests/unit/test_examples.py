"""examples/: Braintrust-shaped eval files for the baseline and the fix."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.helpers import ROOT

FILES = [ROOT / "examples" / "account_issues_baseline.py", ROOT / "examples" / "account_issues_fix.py"]


def _eval_call(path: Path) -> ast.Call:
    tree = ast.parse(path.read_text())
    calls = [
        n.value
        for n in tree.body
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", None) == "Eval"
    ]
    assert len(calls) == 1
    return calls[0]


def test_only_the_import_differs_from_braintrust():
    for path in FILES:
        tree = ast.parse(path.read_text())
        first = next(n for n in tree.body if isinstance(n, ast.ImportFrom))
        assert first.module == "evaltui" and {a.name for a in first.names} == {"Eval", "init_dataset", "load_prompt"}
        call = _eval_call(path)
        assert ast.unparse(call.args[0]) == "'support-bot'"
        assert {k.arg for k in call.keywords} >= {"data", "task", "scores", "experiment_name"}


def test_baseline_and_fix_share_data_and_scorers_and_differ_in_the_prompt():
    base, fix = (_eval_call(p) for p in FILES)
    kw = lambda call: {k.arg: ast.unparse(k.value) for k in call.keywords}  # noqa: E731
    b, f = kw(base), kw(fix)
    assert b["data"] == f["data"] and b["scores"] == f["scores"]
    assert b["task"] == "SupportBot(load_prompt('juno', version=1))"
    assert f["task"] == "SupportBot(load_prompt('juno', version=2))"
    assert f["base_experiment_name"] == b["experiment_name"]
