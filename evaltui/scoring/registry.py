"""Scorers by name, for the CLI, scoring rules and the demo.

brand_alignment, conversation_quality   the project's rubrics, judged by an LLM
path/to/rubric.yaml (or .toml)          your own rubric, judged by an LLM
brand_alignment_offline                 the offline judge (any RUBRIC_offline works)
exact_match, levenshtein, valid_json, json_diff, embedding_similarity
contains:TEXT, regex:PATTERN
package.module:attr                     any protocol scorer, e.g. autoevals:Levenshtein
SLUG                                    a scorer stored with `evaltui scorers add` (given a store)
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable

from evaltui.model import scorer_key
from evaltui.scoring import heuristics
from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.protocol import scorer_name

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store

HEURISTICS: dict[str, Callable[[], Any]] = {
    "exact_match": heuristics.ExactMatch,
    "levenshtein": heuristics.LevenshteinRatio,
    "valid_json": heuristics.ValidJSON,
    "json_diff": heuristics.JSONDiff,
    "embedding_similarity": heuristics.EmbeddingSimilarity,
}
OFFLINE_SUFFIX = "_offline"


@dataclass
class ScorerSpec:
    """A resolved scorer: the callable, the name and version its scores are stored under,
    and the spans it grades by default."""

    spec: str
    fn: Any
    name: str
    version: str
    scope: str = "conversation"
    client: Any = None  # the LLMClient of an LLM judge
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return scorer_key(self.name)

    def bind(self, store: Store) -> None:
        """Point the LLM response cache at this store's connection."""
        if self.client is not None and self.client.cache is not None:
            from evaltui.store.llm_cache import LLMCache

            self.client.flush()
            self.client.cache = LLMCache(store)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def available() -> list[str]:
    from evaltui.scoring.rubric import builtin_rubrics

    names = list(builtin_rubrics())
    return (
        names
        + [f"{n}{OFFLINE_SUFFIX}" for n in names]
        + list(HEURISTICS)
        + ["contains:TEXT", "regex:PATTERN", "module:attr", "FILE.yaml"]
    )


def resolve(
    spec: str,
    *,
    store: Store | None = None,
    settings: Settings | None = None,
    concurrency: int | None = None,
    use_cache: bool | None = None,
) -> ScorerSpec:
    """The scorer named by ``spec``; ScorerSetupError (one line) when it cannot run."""
    from evaltui.scoring.rubric import RubricError, builtin_rubrics, load_rubric

    spec = spec.strip()
    if not spec:
        raise ScorerSetupError("name a scorer, e.g. brand_alignment_offline")
    rubrics = builtin_rubrics()
    is_file = Path(spec).suffix in (".yaml", ".yml", ".toml")
    if spec in rubrics or is_file:
        try:
            rubric = load_rubric(spec)
        except RubricError as exc:
            raise ScorerSetupError(str(exc)) from None
        return _llm_judge(spec, rubric, store=store, settings=settings, concurrency=concurrency, use_cache=use_cache)
    if spec.endswith(OFFLINE_SUFFIX) and spec[: -len(OFFLINE_SUFFIX)] in rubrics:
        return _offline_judge(spec, spec[: -len(OFFLINE_SUFFIX)], store)
    if spec in HEURISTICS:
        fn = HEURISTICS[spec]()
        return ScorerSpec(spec, fn, fn.name, fn.version, "all")
    head, sep, arg = spec.partition(":")
    if sep and head in ("contains", "regex"):
        try:
            fn = heuristics.Contains(arg) if head == "contains" else heuristics.Regex(arg)
        except ValueError as exc:
            raise ScorerSetupError(str(exc)) from None
        return ScorerSpec(spec, fn, fn.name, fn.version, "all")
    if sep:
        return _python_scorer(spec, head, arg)
    if store is not None:  # a scorer stored under this slug (`evaltui scorers add`)
        from evaltui.scoring.stored import build
        from evaltui.store.stored_scorers import find

        row = find(store, spec)
        if row is not None:
            scorer = build(row, store=store, settings=settings)
            inner = scorer.spec
            return ScorerSpec(
                spec,
                scorer,
                inner.name,
                scorer.version,
                inner.scope,
                client=inner.client,
                info={**inner.info, "slug": row.slug, "stored_version": row.version},
            )
    raise ScorerSetupError(f"unknown scorer {spec!r}; try one of: {', '.join(available())}")


def _llm_judge(
    spec: str,
    rubric: Any,
    *,
    store: Store | None,
    settings: Settings | None,
    concurrency: int | None,
    use_cache: bool | None,
) -> ScorerSpec:
    from evaltui.config import get_settings
    from evaltui.llm import LLMClient, LLMError
    from evaltui.scoring.judge import LLMJudge

    s = settings or get_settings()
    try:
        overrides: dict[str, Any] = {"concurrency": max(concurrency, s.llm_concurrency)} if concurrency else {}
        from evaltui.store.llm_cache import LLMCache

        cache = LLMCache(store) if store is not None else None
        client = LLMClient.from_settings(s, cache=cache, use_cache=use_cache, **overrides)
    except LLMError as exc:
        offline = f"{rubric.key}{OFFLINE_SUFFIX}"
        hint = f", or use the offline judge: --scorer {offline}" if Path(spec).stem == rubric.key else ""
        raise ScorerSetupError(f"{spec} is an LLM judge: {exc}{hint}") from None
    judge = LLMJudge(rubric, client)
    return ScorerSpec(
        spec,
        judge,
        rubric.name,
        judge.version,
        rubric.scope if rubric.scope != "all" else "all",
        client=client,
        info={"rubric": rubric.key, "model": judge.model},
    )


def _offline_judge(spec: str, rubric_key: str, store: Store | None) -> ScorerSpec:
    from evaltui.scoring.offline_judge import OfflineJudge
    from evaltui.scoring.rubric import load_rubric

    if store is None:
        raise ScorerSetupError(f"{spec} learns from labels in a database: pass a store")
    judge = OfflineJudge.from_store(store, label_key=rubric_key)
    scope = load_rubric(rubric_key).scope
    return ScorerSpec(
        spec, judge, judge.name, judge.version, scope, info={"rubric": rubric_key, "held_out": judge.agreement}
    )


def _python_scorer(spec: str, module_name: str, attr: str) -> ScorerSpec:
    try:
        module = importlib.import_module(module_name)
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ScorerSetupError(f"cannot load scorer {spec!r}: {exc}") from None
    if inspect.isclass(obj):
        try:
            obj = obj()
        except TypeError as exc:
            raise ScorerSetupError(f"cannot create scorer {spec!r} without arguments: {exc}") from None
    if not callable(obj) and not hasattr(obj, "eval_async"):
        raise ScorerSetupError(f"{spec!r} is not a scorer (not callable)")
    version = getattr(obj, "version", None)
    if not isinstance(version, str):
        version = _package_version(module_name)
    return ScorerSpec(spec, obj, scorer_name(obj), version, "conversation")


def _package_version(module_name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    root = module_name.split(".")[0]
    try:
        return f"{root}-{version(root)}"
    except PackageNotFoundError:
        return root
