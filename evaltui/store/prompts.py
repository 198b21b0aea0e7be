"""Prompts and their versions, and which prompt versions each experiment ran.

A version is a content hash; its number (1, 2, ...) says in which order it was added.
Adding content whose hash the prompt already has makes no new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import orjson

from evaltui.store.db import Store, StoreError, add_by_hash


@dataclass(frozen=True)
class PromptVersion:
    name: str
    version: int
    hash: str
    content: dict[str, Any]  # {messages, model, params}
    source: str | None
    created: Any

    def ref(self) -> dict[str, Any]:
        """How a result or an experiment names this version."""
        return {"name": self.name, "version": self.version, "hash": self.hash}


_COLUMNS = "name, version, hash, content, source, created"


def _version(row: tuple[Any, ...]) -> PromptVersion:
    name, version, digest, content, source, created = row
    return PromptVersion(name, version, digest, orjson.loads(content), source, created)


def add_version(
    store: Store, name: str, digest: str, content: dict[str, Any], source: str | None = None
) -> tuple[PromptVersion, bool]:
    """(the version with this content, whether it is new)."""
    name = name.strip()
    if not name:
        raise StoreError("a prompt needs a name")
    version, new = add_by_hash(store, "prompts", "name", name, digest, [orjson.dumps(content).decode(), source])
    return require_version(store, name, version), new


def versions(store: Store, name: str) -> list[PromptVersion]:
    rows = store.con.execute(f"SELECT {_COLUMNS} FROM prompts WHERE name = ? ORDER BY version", [name]).fetchall()
    return [_version(r) for r in rows]


def require_version(store: Store, name: str, version: int | str | None = None) -> PromptVersion:
    """A version by number (``3``, ``"3"``, ``"v3"``) or content hash (a prefix of 4+
    characters); the latest when ``version`` is None."""
    all_versions = versions(store, name)
    if not all_versions:
        known = [r[0] for r in store.con.execute("SELECT DISTINCT name FROM prompts ORDER BY name LIMIT 8").fetchall()]
        hint = f" (known: {', '.join(known)})" if known else ""
        raise StoreError(f"no prompt named {name!r}{hint}: add it with `evaltui prompts add {name} FILE`")
    if version is None:
        return all_versions[-1]
    text = str(version).strip()
    number = text[1:] if text[:1] in ("v", "V") and text[1:].isdigit() else text
    if number.isdigit():
        for v in all_versions:
            if v.version == int(number):
                return v
    if len(text) >= 4:
        found = [v for v in all_versions if v.hash.startswith(text.lower())]
        if len(found) == 1:
            return found[0]
    have = ", ".join(f"v{v.version} ({v.hash})" for v in all_versions)
    raise StoreError(f"prompt {name!r} has no version {version!r}; it has {have}")


def list_prompts(store: Store) -> list[dict[str, Any]]:
    """Per prompt: its versions (newest last), each with the experiments that ran it."""
    try:
        rows = store.con.execute(f"SELECT {_COLUMNS} FROM prompts ORDER BY name, version").fetchall()
    except duckdb.CatalogException:  # a file from before prompts, opened read-only
        return []
    used = experiments_by_version(store)
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        v = _version(row)
        entry = out.setdefault(v.name, {"name": v.name, "versions": []})
        entry["versions"].append(
            {
                "version": v.version,
                "hash": v.hash,
                "created": v.created,
                "source": v.source,
                "experiments": used.get((v.name, v.hash), []),
            }
        )
    return list(out.values())


def experiments_by_version(store: Store) -> dict[tuple[str, str], list[str]]:
    """(prompt name, hash) -> the names of the experiments that ran it, oldest first."""
    rows = store.con.execute(
        "SELECT p.name, p.hash, e.name FROM experiment_prompts p JOIN experiments e ON e.id = p.experiment_id "
        "ORDER BY e.created, e.name"
    ).fetchall()
    out: dict[tuple[str, str], list[str]] = {}
    for name, digest, experiment in rows:
        out.setdefault((name, digest), []).append(experiment)
    return out


def experiment_prompts(store: Store, experiment_id: str) -> list[dict[str, Any]]:
    """The prompt versions an experiment's tasks built: ``{name, version, hash}`` by name."""
    try:
        rows = store.con.execute(
            "SELECT name, version, hash FROM experiment_prompts WHERE experiment_id = ? ORDER BY name, version",
            [experiment_id],
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [{"name": n, "version": v, "hash": h} for n, v, h in rows]


def content_of(store: Store, name: str, digest: str) -> dict[str, Any] | None:
    rows = store.con.execute(
        "SELECT content FROM prompts WHERE name = ? AND hash = ? LIMIT 1", [name, digest]
    ).fetchall()
    return orjson.loads(rows[0][0]) if rows else None
