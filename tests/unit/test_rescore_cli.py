"""`evaltui rescore` with an LLM judge, as a user runs it: a real process, the real
openai client over loopback HTTP."""

from __future__ import annotations

import os
import subprocess

from evaltui.testing import FakeOpenAI
from tests.helpers import EVALTUI


def test_rescore_with_an_llm_judge_closes_its_connections_and_prints_no_unclosed_session_warning(tmp_path):
    db = str(tmp_path / "r.duckdb")
    evals = tmp_path / "e.py"
    evals.write_text(
        "from evaltui import Eval\n"
        "for name in ('base', 'fix'):\n"
        "    Eval('p', data=[{'input': f'q{i}'} for i in range(4)], task=lambda q, n=name: f'{n} {q}',\n"
        "         scores=[lambda output: 1.0], experiment_name=name)\n"
    )
    out = subprocess.run([*EVALTUI, "eval", str(evals), "--db", db], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    with FakeOpenAI() as fake:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": fake.base_url,
            "OPENAI_API_KEY": "sk-test-rescore",
            "PYTHONWARNINGS": "default",
        }
        out = subprocess.run(
            [*EVALTUI, "rescore", "base", "fix", "--scorer", "brand_alignment", "--db", db],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert out.returncode == 0, out.stderr
        assert len(fake.chat_requests) == 8
    assert "scored 4 of 4" in out.stdout and out.stdout.count("scored 4 of 4") == 2
    assert "Unclosed" not in out.stderr, out.stderr
