"""The filter language: what it matches, where it points at errors, and that no text
from a filter ever runs as SQL."""

from __future__ import annotations

import hashlib

import pytest

from evaltui.ingest import ingest_file
from evaltui.store import logs
from evaltui.store.filters import FilterError, compile_filter
from tests.helpers import conversation, span, write_jsonl


@pytest.fixture
def loaded(store, tmp_path):
    rows = (
        conversation(1, "account_and_login", 0.0, cq=0.0, text="I forgot my password")
        + conversation(2, "account_and_login", 1.0, cq=1.0, text="change my email")
        + conversation(3, "billing_and_payments", 0.5, cq=1.0, text="double charged on my card")
        + conversation(4, "shipping_and_delivery", 1.0, text="Où est ma commande? 📦")
    )
    rows[0]["metadata"]["total_turns"] = 1
    rows[2]["metadata"]["total_turns"] = 3
    rows[4]["tags"] = ["production", "vip"]
    rows[6]["metadata"]["user id"] = "u-7"
    ingest_file(store, write_jsonl(tmp_path / "a.jsonl", rows))
    return store


def ids(store, where):
    return sorted(logs.query_page(store, where, limit=100).column("id").to_pylist())


@pytest.mark.parametrize(
    "where, expected",
    [
        ("", ["c1", "c2", "c3", "c4"]),
        ('topic = "account_and_login"', ["c1", "c2"]),
        ("topic = account_and_login", ["c1", "c2"]),
        ("topic != account_and_login", ["c3", "c4"]),
        ("scores.brand_alignment <= 0.5", ["c1", "c3"]),
        ('scores."Brand Alignment" < 1', ["c1", "c3"]),
        ("scores.conversation_quality = 1 and scores.brand_alignment = 1", ["c2"]),
        ("scores.conversation_quality is null", ["c4"]),
        ("not scores.conversation_quality = 0", ["c2", "c3", "c4"]),
        ("labels.brand_alignment is null", ["c1", "c2", "c3", "c4"]),
        (
            'topic = "account_and_login" and scores.brand_alignment <= 0.5 and metadata.total_turns = 1 and input ~ "password"',
            ["c1"],
        ),
        ('input ~ "PASSWORD"', ["c1"]),
        ('input !~ "password"', ["c2", "c3", "c4"]),
        ('input ~ "commande? 📦"', ["c4"]),
        ("metadata.total_turns > 1", ["c2"]),
        ('metadata."user id" = "u-7"', ["c4"]),
        ("tags = vip", ["c3"]),
        ("topic in (billing_and_payments, shipping_and_delivery)", ["c3", "c4"]),
        ("topic not in ('billing_and_payments')", ["c1", "c2", "c4"]),
        ('ts >= "2026-11-01T10:03"', ["c3", "c4"]),
        ("(topic = billing_and_payments or topic = shipping_and_delivery) and scores.brand_alignment = 1", ["c4"]),
        ("id = c2", ["c2"]),
    ],
)
def test_filter_matches(loaded, where, expected):
    assert ids(loaded, where) == expected


def test_all_spans_filters_turns_on_their_own_scores(loaded):
    turns = logs.query_page(loaded, "span_type = turn and scores.brand_alignment = 0.5", roots_only=False)
    assert turns.column("id").to_pylist() == ["c3-t1"]


@pytest.mark.parametrize(
    "where, column, message",
    [
        ("topic =", 8, "expected a value"),
        ("scores.brand_alignment <= 'high'", 27, "expected a number"),
        ("colour = red", 1, "unknown field 'colour'"),
        ("(topic = a", 11, "missing ')'"),
        ('topic = "abc', 9, "unterminated string"),
        ('ts > "last week"', 6, "not a time"),
        ("topic = a and", 14, "expected a field name"),
        ("topic a", 7, "expected an operator"),
        ("scores = 1", 1, "name one scorer"),
        ("topic = null", 7, "is null"),
        ("metadata.total_turns > many", 24, "needs a number"),
        ("topic = a b", 11, "expected 'and', 'or'"),
        ("topic = 'a' ; DROP TABLE spans", 13, "unexpected character ';'"),
    ],
)
def test_errors_point_at_the_problem(where, column, message):
    with pytest.raises(FilterError) as info:
        compile_filter(where)
    assert info.value.pos + 1 == column, str(info.value)
    assert message in str(info.value)
    assert str(info.value).startswith(f"bad filter at column {column}:")
    caret_line = info.value.pointer().splitlines()[1]
    assert caret_line == " " * (column - 1) + "^"


def _fingerprint(store) -> str:
    h = hashlib.sha256()
    for table in ("spans", "scores", "score_rollup", "evaltui_meta"):
        rows = store.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        h.update(repr(rows).encode())
    tables = store.con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
    h.update(repr(tables).encode())
    return h.hexdigest()


INJECTIONS = [
    'topic = "\'; DROP TABLE spans; --"',
    "topic = '\\'; DELETE FROM scores; --'",
    'input ~ "%\' OR 1=1 --"',
    'metadata."x\') OR 1=1; DROP TABLE spans; --" = 1',
    "scores.\"x' OR '1'='1\" <= 1",
    'topic = "/* comment */ account_and_login"',
    'topic = "account_and_login" -- and 1=1',
    'topic = "ａｃｃｏｕｎｔ" or input ~ "\\u0027"',
    'tags = "vip\'); DROP TABLE spans; --"',
    "topic in ('a', 'b\"); DROP TABLE scores; --')",
]


@pytest.mark.parametrize("where", INJECTIONS)
def test_injection_is_rejected_or_literal(loaded, where):
    before = _fingerprint(loaded)
    try:
        matched = ids(loaded, where)
    except FilterError:
        matched = None
    after = _fingerprint(loaded)
    assert before == after
    # Taken literally, none of these strings matches a real value.
    assert matched in (None, [])


def test_literal_sql_text_is_matched_as_text(store, tmp_path):
    evil = "'; DROP TABLE spans; --"
    ingest_file(store, write_jsonl(tmp_path / "a.jsonl", [span("x", input=evil, metadata={"topic": evil})]))
    assert ids(store, f'topic = "{evil}"') == ["x"]
    assert ids(store, 'input ~ "drop table"') == ["x"]


def test_values_are_parameters_not_sql():
    compiled = compile_filter('topic = "x\' OR 1=1" and scores.brand_alignment < 0.5 and metadata."a b" = 1')
    assert "OR 1=1" not in compiled.where
    assert "a b" not in compiled.where
    assert compiled.params == ["x' OR 1=1", 0.5, '$."a b"', 1.0]
    assert compiled.join_params == ["brand_alignment"]


@pytest.mark.parametrize(
    "where, column",
    [
        ("(" * 400 + "topic = x" + ")" * 400, 65),
        ("not " * 1000 + "topic = x", 257),
        ("(not " * 300 + "topic = x" + ")" * 300, 161),
    ],
)
def test_deep_nesting_is_a_bad_filter_not_a_stack_overflow(where, column):
    with pytest.raises(FilterError) as info:
        compile_filter(where)
    assert str(info.value) == f"bad filter at column {column}: nested too deep (at most 64 parentheses and 'not's)"


def test_nesting_up_to_the_limit_still_matches(loaded):
    assert ids(loaded, "(" * 64 + "topic = billing_and_payments" + ")" * 64) == ["c3"]
    assert ids(loaded, "not " * 64 + "topic = billing_and_payments") == ["c3"]


def test_an_empty_metadata_key_is_rejected_by_the_parser(loaded):
    with pytest.raises(FilterError) as info:
        logs.query_page(loaded, 'metadata."" = 1')
    assert str(info.value) == "bad filter at column 10: a key cannot be empty"


def test_more_comparisons_than_the_cap_is_a_bad_filter():
    compile_filter(" or ".join(f"topic = t{i}" for i in range(1000)))
    with pytest.raises(FilterError, match="too many comparisons"):
        compile_filter(" or ".join(f"topic = t{i}" for i in range(1001)))


def test_ored_contains_terms_of_one_field_are_one_scan_with_the_same_matches(loaded):
    # 1,000 `input ~` terms took minutes as 1,000 OR'd contains(); merged, the text is read once
    words = [f"nomatch{i}" for i in range(998)] + ["PASSWORD", "card"]
    where = " or ".join(f'input ~ "{w}"' for w in words)
    compiled = compile_filter(where)
    assert compiled.where.count("regexp_matches") == 1 and "contains" not in compiled.where
    assert ids(loaded, where) == ["c1", "c3"]
    # the words are literals, not patterns, and the other fields keep their own terms
    assert ids(loaded, 'input ~ "my.password" or input ~ "(card"') == []
    assert ids(loaded, 'input ~ "my password" or input ~ "📦" or topic = billing_and_payments') == ["c1", "c3", "c4"]
    assert ids(loaded, 'input !~ password and input !~ "commande?" and output ~ ok') == ["c2", "c3"]
