"""Code scorers that need no model: exact match, Levenshtein ratio, contains, regex,
valid JSON, JSON diff, and embedding similarity with the offline MiniLM model.

Each is a small dataclass: its ``name`` is the score's name, its ``version`` changes when
its parameters do, and calling it follows the scorer protocol (returns a ``Score``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from evaltui.scoring.protocol import Score


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def levenshtein_distance(a: str, b: str) -> int:
    try:
        import Levenshtein  # the C implementation, when installed (autoevals brings it)

        return Levenshtein.distance(a, b)
    except ImportError:
        pass
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def levenshtein_ratio(a: str, b: str) -> float:
    """1 - edit distance / length of the longer string (1.0 for two empty strings)."""
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - levenshtein_distance(a, b) / longest


def _params_version(*parts: Any) -> str:
    return "builtin-1" + ("-" + hashlib.sha256(repr(parts).encode()).hexdigest()[:8] if parts else "")


@dataclass
class ExactMatch:
    """1 when output equals expected (JSON values compared as canonical JSON), else 0."""

    name: str = "exact_match"
    strip: bool = True

    @property
    def version(self) -> str:
        return _params_version(self.strip) if not self.strip else "builtin-1"

    def __call__(self, output: Any, expected: Any) -> Score | None:
        if expected is None:
            return None
        a, b = _text(_as_json(output)), _text(_as_json(expected))
        if self.strip:
            a, b = a.strip(), b.strip()
        return Score(self.name, 1.0 if a == b else 0.0)


@dataclass
class LevenshteinRatio:
    """1 - normalised edit distance between output and expected."""

    name: str = "levenshtein"
    version: str = "builtin-1"

    def __call__(self, output: Any, expected: Any) -> Score | None:
        if expected is None:
            return None
        return Score(self.name, levenshtein_ratio(_text(output), _text(expected)))


@dataclass
class Contains:
    """1 when the output contains ``text`` (any case unless ``case_sensitive``); with no
    ``text``, whether it contains the expected value."""

    text: str | None = None
    name: str = "contains"
    case_sensitive: bool = False

    @property
    def version(self) -> str:
        return _params_version(self.text, self.case_sensitive)

    def __call__(self, output: Any, expected: Any = None) -> Score | None:
        needle = self.text if self.text is not None else (None if expected is None else _text(expected))
        if needle is None:
            return None
        hay = _text(output)
        if not self.case_sensitive:
            hay, needle = hay.lower(), needle.lower()
        return Score(self.name, 1.0 if needle in hay else 0.0)


@dataclass
class Regex:
    """1 when ``pattern`` matches somewhere in the output."""

    pattern: str
    name: str = "regex"

    def __post_init__(self) -> None:
        try:
            self._compiled = re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"bad regular expression {self.pattern!r}: {exc}") from None

    @property
    def version(self) -> str:
        return _params_version(self.pattern)

    def __call__(self, output: Any) -> Score:
        return Score(self.name, 1.0 if self._compiled.search(_text(output)) else 0.0)


@dataclass
class ValidJSON:
    """1 when the output is JSON (a string that parses, or already a JSON value)."""

    name: str = "valid_json"
    version: str = "builtin-1"

    def __call__(self, output: Any) -> Score:
        if not isinstance(output, str):
            return Score(self.name, 1.0 if output is not None else 0.0)
        try:
            json.loads(output)
        except ValueError as exc:
            return Score(self.name, 0.0, rationale=f"not JSON: {exc}")
        return Score(self.name, 1.0)


def json_similarity(a: Any, b: Any) -> float:
    """Structural similarity of two JSON values, 0..1: objects average over the union of
    keys, arrays position by position, strings by Levenshtein ratio, numbers by relative
    difference."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = set(a) | set(b)
        if not keys:
            return 1.0
        return sum(json_similarity(a.get(k), b.get(k)) if k in a and k in b else 0.0 for k in keys) / len(keys)
    if isinstance(a, list) and isinstance(b, list):
        n = max(len(a), len(b))
        if n == 0:
            return 1.0
        return sum(json_similarity(x, y) for x, y in zip(a, b)) / n
    if isinstance(a, bool) or isinstance(b, bool):
        return 1.0 if type(a) is type(b) and a == b else 0.0
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        top = max(abs(a), abs(b))
        return 1.0 if top == 0 else max(0.0, 1.0 - abs(a - b) / top)
    if isinstance(a, str) and isinstance(b, str):
        return levenshtein_ratio(a, b)
    return 1.0 if a == b else 0.0


@dataclass
class JSONDiff:
    """Structural similarity of output and expected as JSON (strings are parsed first)."""

    name: str = "json_diff"
    version: str = "builtin-1"

    def __call__(self, output: Any, expected: Any) -> Score | None:
        if expected is None:
            return None
        return Score(self.name, json_similarity(_as_json(output), _as_json(expected)))


@dataclass
class EmbeddingSimilarity:
    """Cosine similarity of output and expected under all-MiniLM-L6-v2, clipped to 0..1."""

    name: str = "embedding_similarity"
    version: str = "all-MiniLM-L6-v2"

    def __call__(self, output: Any, expected: Any) -> Score | None:
        if expected is None:
            return None
        from evaltui.scoring.embeddings import embed

        vectors = embed([_text(output), _text(expected)])
        return Score(self.name, float(max(0.0, min(1.0, float(vectors[0] @ vectors[1])))))
