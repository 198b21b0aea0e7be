"""Scorers by slug, kept in the database: ``evaltui scorers add SLUG RUBRIC.yaml`` (or
``module:attr``) stores one; ``init_function(project_name=..., slug=...)`` returns it, so a
Braintrust eval file's UI-defined scorer maps to a rubric kept in the database.

The scorer's name is its slug (what an experiment lists as its scorers); the scores it
returns keep their own names (a rubric's ``name``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.protocol import Score, run_scorer
from evaltui.store import stored_scorers
from evaltui.store.db import Store

if TYPE_CHECKING:
    from evaltui.config import Settings

RUBRIC_SUFFIXES = (".yaml", ".yml", ".toml")


class SlugScorer:
    """A stored scorer ready to run: ``await scorer(input=, output=, expected=, metadata=)``."""

    def __init__(self, row: stored_scorers.StoredScorer, spec: Any) -> None:
        self.name = row.slug
        self.slug = row.slug
        self.stored_version = row.version
        self.hash = row.hash
        self.kind = row.kind
        self.spec = spec  # the registry's ScorerSpec (the judge, its client...)
        self.version = f"{row.slug}@v{row.version}+{spec.version}"

    async def __call__(
        self, input: Any = None, output: Any = None, expected: Any = None, metadata: dict[str, Any] | None = None
    ) -> list[Score]:
        return await run_scorer(self.spec.fn, input=input, output=output, expected=expected, metadata=metadata)

    def __repr__(self) -> str:
        return f"SlugScorer({self.slug!r}, v{self.stored_version}, {self.kind})"


def add_scorer(
    store: Store, slug: str, source: str, *, project: str | None = None
) -> tuple[stored_scorers.StoredScorer, bool]:
    """Store ``source`` (a rubric file, or ``module:attr``) under ``slug``; checked first:
    a rubric must parse and a reference must import."""
    from evaltui.scoring.registry import _python_scorer
    from evaltui.scoring.rubric import RubricError, parse_rubric

    path = Path(source)
    if path.suffix in RUBRIC_SUFFIXES:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScorerSetupError(f"{path}: {exc.strerror or exc}") from None
        try:
            parse_rubric(raw, path)
        except RubricError as exc:
            raise ScorerSetupError(str(exc)) from None
        return stored_scorers.add_version(
            store, slug, "rubric", raw.decode("utf-8"), format=path.suffix, project=project, source=str(path)
        )
    module, sep, attr = source.partition(":")
    if not sep or not module or not attr:
        raise ScorerSetupError(f"{source!r} is neither a rubric file ({', '.join(RUBRIC_SUFFIXES)}) nor module:attr")
    _python_scorer(source, module, attr)  # raises ScorerSetupError when it cannot load
    return stored_scorers.add_version(store, slug, "python", source, project=project, source=source)


def build(
    row: stored_scorers.StoredScorer, *, store: Store | None = None, settings: Settings | None = None
) -> SlugScorer:
    """The scorer a stored row describes (an LLM judge needs a model endpoint)."""
    from evaltui.scoring.registry import _llm_judge, _python_scorer
    from evaltui.scoring.rubric import RubricError, parse_rubric

    if row.kind == "rubric":
        try:
            rubric = parse_rubric(row.content.encode("utf-8"), f"{row.slug}{row.format or '.yaml'}")
        except RubricError as exc:
            raise ScorerSetupError(str(exc)) from None
        spec = _llm_judge(row.slug, rubric, store=store, settings=settings, concurrency=None, use_cache=None)
    else:
        module, _, attr = row.content.partition(":")
        spec = _python_scorer(row.content, module, attr)
    return SlugScorer(row, spec)


def init_function(
    project_name: str | None = None,
    slug: str | None = None,
    version: int | str | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    **_braintrust_only: Any,
) -> SlugScorer:
    """The stored scorer ``slug`` (Braintrust's ``init_function``), at ``version`` (the
    latest when None), from ``db`` (default: ``evaltui eval --db``, $EVALTUI_DB,
    ./evaltui.duckdb). ``project_name`` is accepted: slugs are per database file."""
    if not slug:
        raise ScorerSetupError("init_function needs slug=: the slug of a scorer stored with `evaltui scorers add`")
    from evaltui.dbpath import default_db

    number = None if version is None else int(str(version).lstrip("vV"))
    with Store(db if db is not None else default_db()) as store:
        row = stored_scorers.require(store, slug, number)
    return build(row)
