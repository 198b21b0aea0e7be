"""Store queries for scoring: spans still to score, writing scores, scoring rules.
(Human labels and the pairs calibration reads are in ``store.calibration_pairs``.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any
from collections.abc import Iterable

import duckdb
import orjson
import pyarrow as pa

from evaltui.jsondepth import loads_stored
from evaltui.store.db import Store, StoreError
from evaltui.store.filters import compile_filter
from evaltui.store.scores import SCORE_ID_SQL, SCORER_KEY_SQL, refresh_rollup

SCOPES = ("auto", "conversation", "turn", "all")

_SCORE_ROWS = pa.schema(
    [
        ("target_id", pa.string()),
        ("root_id", pa.string()),
        ("scorer", pa.string()),
        ("scorer_version", pa.string()),
        ("score", pa.float64()),
        ("label", pa.string()),
        ("rationale", pa.string()),
        ("source", pa.string()),
        ("created", pa.timestamp("us")),
        ("metadata", pa.string()),
    ]
)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- selecting spans -------------------------------------------------------------


def scope_sql(scope: str) -> tuple[str, list[Any]]:
    """conversation = root spans, turn = turn spans, all = every span, else a span name."""
    if scope == "conversation":
        return "s.parent_id IS NULL", []
    if scope == "turn":
        return "(s.span_type = 'turn' OR s.name = 'turn')", []
    if scope == "all":
        return "true", []
    return "s.name = ?", [scope]


@dataclass
class PendingQuery:
    """Spans in scope matching a filter, in the sample, not yet scored by (key, version)."""

    where: str | None
    scope: str
    key: str
    version: str
    sample: float = 1.0

    def _sql(self, select: str, tail: str = "") -> tuple[str, list[Any]]:
        compiled = compile_filter(self.where)
        scope, scope_params = scope_sql(self.scope)
        params: list[Any] = [*compiled.join_params, *compiled.params, *scope_params]
        sample = "true"
        if self.sample < 1.0:
            # Deterministic per (span, scorer): re-running at the same rate picks the same spans.
            sample = "CAST(('0x' || left(md5(s.id || ':' || ?), 8)) AS UBIGINT) < ?"
            params += [self.key, int(self.sample * 2**32)]
        params += [self.key, self.version]
        sql = f"""
            SELECT {select}
            FROM {compiled.from_sql}
            WHERE ({compiled.where}) AND {scope} AND {sample}
              AND NOT EXISTS (
                  SELECT 1 FROM scores x
                  WHERE x.target_id = s.id AND x.scorer_key = ? AND x.scorer_version = ? AND x.source <> 'human')
            {tail}
        """
        return sql, params

    def count(self, store: Store) -> int:
        sql, params = self._sql("count(*)")
        return _run(store.con, sql, params).fetchall()[0][0]

    def page(self, store: Store, after: tuple[Any, str] | None, limit: int) -> list[dict[str, Any]]:
        """The next ``limit`` spans after ``after`` = (ts, id), oldest first."""
        tail_params: list[Any] = []
        keyset = ""
        if after is not None:
            keyset = "AND (s.ts > ? OR (s.ts = ? AND s.id > ?))"
            tail_params = [after[0], after[0], after[1]]
        sql, params = self._sql(
            "s.id, s.root_id, s.ts, s.topic, s.input, s.output, s.expected, s.metadata",
            f"{keyset} ORDER BY s.ts, s.id LIMIT ?",
        )
        rows = _run(store.con, sql, [*params, *tail_params, limit]).fetchall()
        out = []
        for id_, root, ts, topic, inp, outp, exp, meta in rows:
            metadata = _loads(meta) or {}
            out.append(
                {
                    "id": id_,
                    "root_id": root,
                    "ts": ts,
                    "topic": topic,
                    "input": _loads(inp),
                    "output": _loads(outp),
                    "expected": _loads(exp),
                    "metadata": metadata,
                }
            )
        return out


def _loads(text: str | None) -> Any:
    return loads_stored(text)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]):
    try:
        return con.execute(sql, params)
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {str(exc).splitlines()[0]}") from None


# -- writing scores -----------------------------------------------------------------


@dataclass
class ScoreWrite:
    target_id: str
    root_id: str | None
    scorer: str
    scorer_version: str
    score: float | None
    label: str | None = None
    rationale: str | None = None
    source: str = "online"
    created: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def write_scores(store: Store, rows: Iterable[ScoreWrite]) -> int:
    """Store scores in one Arrow batch and refresh the roll-up of their traces."""
    con = store.con
    stamp = now()
    data = [
        {
            "target_id": r.target_id,
            "root_id": r.root_id,
            "scorer": r.scorer,
            "scorer_version": r.scorer_version,
            "score": r.score,
            "label": r.label,
            "rationale": r.rationale,
            "source": r.source,
            "created": r.created or stamp,
            "metadata": orjson.dumps(r.metadata or {}).decode(),
        }
        for r in rows
    ]
    if not data:
        return 0
    table = pa.Table.from_pylist(data, schema=_SCORE_ROWS)
    con.register("_score_rows", table)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _scored AS
            SELECT {SCORE_ID_SQL} AS id, s.target_id, coalesce(s.root_id, sp.root_id) AS root_id, s.scorer,
                   {SCORER_KEY_SQL.format(col="s.scorer")} AS scorer_key, s.scorer_version, s.score, s.label,
                   s.rationale, s.source, s.created, s.metadata
            FROM _score_rows s LEFT JOIN spans sp ON sp.id = s.target_id
            """
        )
        con.execute("INSERT INTO scores BY NAME SELECT * FROM _scored WHERE id NOT IN (SELECT id FROM scores)")
        refresh_rollup(store, "SELECT DISTINCT root_id FROM _scored WHERE root_id IS NOT NULL")
        con.execute("DROP TABLE IF EXISTS _scored")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_score_rows")
    return len(data)


# -- scoring rules -------------------------------------------------------------------


@dataclass
class Rule:
    """An online scoring rule: these scorers, on spans in scope matching the filter, at a rate."""

    name: str
    scorers: list[str]
    filter: str | None = None
    sample_rate: float = 1.0
    scope: str = "auto"


def save_rule(store: Store, rule: Rule) -> None:
    con = store.con
    compile_filter(rule.filter)  # a bad filter is refused now, not at scoring time
    if not 0 < rule.sample_rate <= 1:
        raise StoreError(f"sample rate must be in (0, 1], got {rule.sample_rate}")
    if not rule.scorers:
        raise StoreError("a rule needs at least one scorer")
    stamp = now()
    con.execute("DELETE FROM scoring_rules WHERE name = ?", [rule.name]).fetchall()
    con.execute(
        "INSERT INTO scoring_rules VALUES (?, ?, ?, ?, ?, ?, ?)",
        [rule.name, rule.scorers, rule.filter or None, rule.sample_rate, rule.scope, stamp, stamp],
    ).fetchall()


def get_rule(store: Store, name: str) -> Rule:
    con = store.con
    rows = con.execute(
        "SELECT name, scorers, filter, sample_rate, scope FROM scoring_rules WHERE name = ?", [name]
    ).fetchall()
    if not rows:
        known = ", ".join(r.name for r in list_rules(store)) or "none yet (add one with `evaltui rules add`)"
        raise StoreError(f"no scoring rule named {name!r}; rules: {known}")
    n, scorers, flt, rate, scope = rows[0]
    return Rule(n, list(scorers), flt, rate, scope)


def list_rules(store: Store) -> list[Rule]:
    con = store.con
    rows = con.execute("SELECT name, scorers, filter, sample_rate, scope FROM scoring_rules ORDER BY name").fetchall()
    return [Rule(n, list(s), f, r, sc) for n, s, f, r, sc in rows]


def delete_rule(store: Store, name: str) -> bool:
    con = store.con
    found = con.execute("SELECT count(*) FROM scoring_rules WHERE name = ?", [name]).fetchall()[0][0]
    con.execute("DELETE FROM scoring_rules WHERE name = ?", [name]).fetchall()
    return bool(found)
