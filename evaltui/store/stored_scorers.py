"""Scorers kept in the database under a slug: a rubric's text or a ``module:attr``
reference, versioned by content hash (1, 2, ... in the order added)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import duckdb

from evaltui.store.db import Store, StoreError, add_by_hash


@dataclass(frozen=True)
class StoredScorer:
    slug: str
    version: int
    hash: str
    kind: str  # rubric | python
    content: str  # the rubric's text, or module:attr
    format: str | None
    project: str | None
    source: str | None
    created: Any


_COLUMNS = "slug, version, hash, kind, content, format, project, source, created"


def content_hash(kind: str, content: str) -> str:
    return hashlib.sha256(f"{kind}\x1f{content}".encode()).hexdigest()[:12]


def add_version(
    store: Store,
    slug: str,
    kind: str,
    content: str,
    *,
    format: str | None = None,
    project: str | None = None,
    source: str | None = None,
) -> tuple[StoredScorer, bool]:
    """(the version with this content, whether it is new)."""
    slug = slug.strip()
    if not slug:
        raise StoreError("a stored scorer needs a slug")
    digest = content_hash(kind, content)
    version, new = add_by_hash(store, "stored_scorers", "slug", slug, digest, [kind, content, format, project, source])
    return require(store, slug, version), new


def find(store: Store, slug: str, version: int | None = None) -> StoredScorer | None:
    try:
        rows = store.con.execute(
            f"SELECT {_COLUMNS} FROM stored_scorers WHERE slug = ? AND (? IS NULL OR version = ?) "
            "ORDER BY version DESC LIMIT 1",
            [slug, version, version],
        ).fetchall()
    except duckdb.CatalogException:  # a file from before stored scorers, opened read-only
        return None
    return StoredScorer(*rows[0]) if rows else None


def require(store: Store, slug: str, version: int | None = None) -> StoredScorer:
    found = find(store, slug, version)
    if found is not None:
        return found
    known = [s.slug for s in list_scorers(store)][:8]
    hint = f" (stored: {', '.join(known)})" if known else ""
    what = f"version {version} of a stored scorer {slug!r}" if version is not None else f"stored scorer {slug!r}"
    raise StoreError(f"no {what}{hint}: add it with `evaltui scorers add {slug} RUBRIC.yaml` (or module:attr)")


def list_scorers(store: Store) -> list[StoredScorer]:
    """The latest version of every stored scorer, by slug."""
    try:
        rows = store.con.execute(
            f"SELECT {_COLUMNS} FROM stored_scorers QUALIFY row_number() OVER (PARTITION BY slug ORDER BY version DESC) = 1 "
            "ORDER BY slug"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [StoredScorer(*r) for r in rows]
