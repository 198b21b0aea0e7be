"""Fuzzing the importers and the filter parser with hypothesis.

The default suite runs a short profile. The long profile (10,000 inputs per target)
runs with ``EVALTUI_FUZZ=long`` (see README "Reliability")::

    EVALTUI_FUZZ=long .venv/bin/python -m pytest -q tests/reliability/test_fuzz.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltui.ingest import importer
from evaltui.ingest.records import BadRecord
from evaltui.jsondepth import MAX_DEPTH, NESTED_TOO_DEEP
from evaltui.store.filters import MAX_DEPTH as FILTER_MAX_DEPTH, FilterError, compile_filter

LONG = os.environ.get("EVALTUI_FUZZ") == "long"
EXAMPLES = 10_000 if LONG else 150
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
line_text = text.map(
    lambda s: s.replace("\n", " ").replace("\r", " ").replace("\x85", " ").replace("\u2028", " ").replace("\u2029", " ")
)
json_scalar = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False) | text
)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)


def _read_all(fmt: str, data: bytes):
    with tempfile.NamedTemporaryFile("wb", suffix=".csv" if fmt == "csv" else ".jsonl", delete=False) as fh:
        fh.write(data)
    try:
        return list(importer(fmt).read(Path(fh.name)))
    finally:
        os.unlink(fh.name)


def _garbage_line(raw: str) -> str:
    """A line that is surely not a well-formed record: not JSON, or JSON but no object."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw if raw.strip() else "#"
    return json.dumps([value])


# -- any bytes: no importer may raise ------------------------------------------------


@pytest.mark.parametrize("fmt", ["evaltui", "openai", "braintrust", "langfuse", "otel", "csv"])
@fuzz
@given(
    data=st.binary(max_size=400)
    | st.lists(json_value, max_size=4).map(lambda v: "\n".join(json.dumps(x) for x in v).encode())
)
def test_importers_never_raise(fmt, data):
    for item in _read_all(fmt, data):
        assert not isinstance(item, BadRecord) or item.line >= 0


# -- mixed files: every well-formed record is kept -------------------------------------


def evaltui_record(i: int, payload) -> dict:
    return {
        "id": f"s{i}",
        "root_id": f"s{i}",
        "parent_id": None,
        "span_type": "conversation",
        "input": payload[0],
        "output": payload[1],
        "metadata": {"k": payload[2]},
        "scores": [{"name": payload[2] or "x", "score": 0.5}],
    }


def openai_record(i: int, payload) -> dict:
    return {
        "messages": [{"role": "user", "content": f"{i} {payload[0]}"}, {"role": "assistant", "content": payload[1]}],
        "metadata": {"n": i},
    }


def braintrust_record(i: int, payload) -> dict:
    return {
        "id": f"r{i}",
        "span_id": f"sp{i}",
        "root_span_id": f"sp{i}",
        "span_parents": None,
        "is_root": True,
        "created": "2026-11-01T10:00:00Z",
        "input": payload[0],
        "output": payload[1],
        "scores": {payload[2] or "Score": 1},
        "metadata": {},
        "span_attributes": {"name": "task", "type": "task"},
    }


def langfuse_record(i: int, payload) -> dict:
    return {
        "id": f"tr{i}",
        "timestamp": "2026-11-01T10:00:00Z",
        "name": "chat",
        "input": payload[0],
        "output": payload[1],
        "observations": [],
        "scores": [],
    }


def otel_record(i: int, payload) -> dict:
    return {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": f"{i:032x}",
                                "spanId": f"{i:016x}",
                                "name": "chat",
                                "startTimeUnixNano": "1714820500000000000",
                                "endTimeUnixNano": "1714820501000000000",
                                "attributes": [
                                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                                    {
                                        "key": "gen_ai.input.messages",
                                        "value": {"stringValue": json.dumps([{"role": "user", "content": payload[0]}])},
                                    },
                                ],
                            }
                        ]
                    }
                ]
            }
        ]
    }


BUILDERS = {
    "evaltui": evaltui_record,
    "openai": openai_record,
    "braintrust": braintrust_record,
    "langfuse": langfuse_record,
    "otel": otel_record,
}
payloads = st.tuples(line_text, line_text, line_text)


@pytest.mark.parametrize("fmt", sorted(BUILDERS))
@fuzz
@given(
    good=st.lists(payloads, min_size=1, max_size=6),
    bad=st.lists(line_text, max_size=6),
    seed=st.randoms(use_true_random=False),
)
def test_mixed_jsonl_keeps_every_good_record(fmt, good, bad, seed):
    lines = [(json.dumps(BUILDERS[fmt](i, p), ensure_ascii=bool(i % 2)), True) for i, p in enumerate(good)]
    lines += [(_garbage_line(b), False) for b in bad]
    seed.shuffle(lines)
    items = _read_all(fmt, ("\n".join(line for line, _ in lines) + "\n").encode())
    roots = [r for r in items if not isinstance(r, BadRecord) and r.parent_id is None]
    assert len(roots) == len(good)
    bad_lines = {b.line for b in items if isinstance(b, BadRecord)}
    expected_bad = {n for n, (line, ok) in enumerate(lines, start=1) if not ok and line.strip()}
    assert bad_lines <= expected_bad | {n for n, (_, ok) in enumerate(lines, start=1) if ok}


@fuzz
@given(
    rows=st.lists(st.tuples(text, text, st.integers(0, 9)), min_size=1, max_size=6),
    bad=st.lists(st.integers(0, 6), max_size=3),
)
def test_mixed_csv_keeps_every_good_row(rows, bad):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["input", "output", "rank"])
    for r in rows:
        writer.writerow([r[0] if r[0].strip() else "-", r[1], r[2]])
    for n in bad:  # rows with the wrong number of columns
        writer.writerow(["x"] * (n if n != 3 else 5))
    items = _read_all("csv", buf.getvalue().encode())
    kept = [r for r in items if not isinstance(r, BadRecord) and r.parent_id is None]
    assert len(kept) >= len(rows)
    assert len(kept) <= len(rows) + len(bad)


# -- deep nesting: reported per line, never raised, the rest kept ----------------------


def _nesting(depth: int, seed: int) -> str:
    """Arrays and objects nested ``depth`` deep, as text (Python's json cannot build the deepest)."""
    import random

    kinds = [random.Random(seed).random() < 0.5 for _ in range(depth)]
    return (
        "".join('{"k":' if obj else "[" for obj in kinds)
        + "1"
        + "".join("}" if obj else "]" for obj in reversed(kinds))
    )


# depths drawn on both sides of the limit (a list strategy would stay shallow); the
# record around the value adds a few levels, so values just under the limit are left out
nestings = st.builds(_nesting, st.integers(1, MAX_DEPTH - 8) | st.integers(MAX_DEPTH + 1, 3000), st.integers(0, 2**16))


@pytest.mark.parametrize("fmt", ["evaltui", "openai", "braintrust", "langfuse"])
@fuzz
@given(
    good=st.lists(payloads, min_size=1, max_size=4),
    deep=st.lists(nestings, min_size=1, max_size=3),
    seed=st.randoms(use_true_random=False),
)
def test_deep_nesting_is_reported_per_line_and_every_other_record_kept(fmt, good, deep, seed):
    lines = [(json.dumps(BUILDERS[fmt](i, p)), None) for i, p in enumerate(good)]
    for j, nested in enumerate(deep):  # the deep value where the builder puts an output
        line = json.dumps(BUILDERS[fmt](100 + j, ("q", "__DEEP__", "x"))).replace('"__DEEP__"', nested)
        lines.append((line, nested.count("[") + nested.count("{") > MAX_DEPTH))
    seed.shuffle(lines)
    items = _read_all(fmt, ("\n".join(line for line, _ in lines) + "\n").encode())
    too_deep = {n for n, (_, deeper) in enumerate(lines, start=1) if deeper}
    reported = {b.line for b in items if isinstance(b, BadRecord) and b.reason == NESTED_TOO_DEEP}
    assert reported == too_deep
    roots = [r for r in items if not isinstance(r, BadRecord) and r.parent_id is None]
    # a shallow nested output may still be refused for its shape (a chat reply must be text)
    assert len(good) <= len(roots) <= len(lines) - len(too_deep)


# -- the filter parser ------------------------------------------------------------------

filter_tokens = st.sampled_from(
    [
        "topic",
        "input",
        "scores.brand_alignment",
        "metadata.total_turns",
        "labels.x",
        "tags",
        "ts",
        'metrics."a b"',
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "~",
        "!~",
        "in",
        "not",
        "is",
        "null",
        "and",
        "or",
        "(",
        ")",
        ",",
        '"x"',
        "'y'",
        "1",
        "0.5",
        "-3",
        "true",
        "'; DROP TABLE spans; --",
        '"2026-11-01"',
        "ünï",
        "\\",
    ]
)
filters = st.lists(filter_tokens, max_size=12).map(" ".join) | text


@pytest.fixture(scope="module")
def filter_db(tmp_path_factory):
    from evaltui.ingest import ingest_file
    from evaltui.store import Store
    from tests.helpers import conversation, write_jsonl

    path = tmp_path_factory.mktemp("fuzz") / "f.duckdb"
    store = Store(path)
    f = write_jsonl(
        path.with_suffix(".jsonl"), conversation(1, "billing", 0.5, cq=1.0) + conversation(2, "refunds", 1.0)
    )
    ingest_file(store, f)
    yield store
    store.close()


@fuzz
@given(where=filters)
def test_filter_parser_rejects_or_runs(filter_db, where):
    from evaltui.store import logs

    try:
        compiled = compile_filter(where)
    except FilterError as exc:
        assert 0 <= exc.pos <= len(where)
        return
    assert "DROP" not in compiled.where
    try:
        logs.query_page(filter_db, where, limit=5)
    except FilterError:
        pass  # a value that does not fit its field, reported as a filter error
    tables = {r[0] for r in filter_db.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert {"spans", "scores"} <= tables


@fuzz
@given(
    count=st.integers(0, FILTER_MAX_DEPTH) | st.integers(FILTER_MAX_DEPTH, 1000),
    seed=st.integers(0, 2**16),
    inner=st.sampled_from(["topic = billing", "input ~ x or scores.brand_alignment < 0.5", "tags = a and not id = c1"]),
)
def test_nested_filters_parse_or_say_nested_too_deep(filter_db, count, seed, inner):
    import random

    from evaltui.store import logs

    pick = random.Random(seed)
    wrappers = [pick.choice(["(", "not ", "not ("]) for _ in range(count)]
    where = "".join(wrappers) + inner + ")" * sum(w.count("(") for w in wrappers)
    depth = sum(1 + w.count("(") if w == "not (" else 1 for w in wrappers)
    try:
        logs.query_page(filter_db, where, limit=5)
    except FilterError as exc:
        assert depth > FILTER_MAX_DEPTH and "nested too deep" in str(exc), (depth, str(exc))
    else:
        assert depth <= FILTER_MAX_DEPTH


def test_long_profile_is_selectable():
    assert EXAMPLES == (10_000 if os.environ.get("EVALTUI_FUZZ") == "long" else 150)
    assert isinstance(duckdb.__version__, str)
