"""Completion for the filter bar, as pure functions: the candidates for the word before
the cursor (field, scorer, label and metadata names; topic names after ``topic =`` or
``topic in (``, quoted for the user), and what the text becomes with one of them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[\w.\"-]*$")
_FIELD_PLACE = re.compile(r"(?:^|\b(?:and|or|not)\s+|\()\s*$", re.IGNORECASE)
_TOPIC_CONTEXT = re.compile(r"\btopic\s*(?:=|==|!=|<>)\s*$|\btopic\s+(?:not\s+)?in\s*\((?:[^)]*,)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Completion:
    start: int  # where the word being completed starts
    stem: str  # what was typed of it
    candidates: list[str]  # what it can become, in order


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def candidates(before: str, words: list[str], topics: list[str]) -> Completion:
    """The completions of the word that ends ``before`` (the text left of the cursor).

    After ``topic =`` (or inside ``topic in (...)``) the candidates are topic names,
    matched with or without a leading quote and offered quoted; elsewhere the words.
    Prefix matches come first, then names that contain the stem.
    """
    m = _WORD.search(before)
    start = m.start() if m else len(before)
    stem = before[start:]
    if _TOPIC_CONTEXT.search(before[:start]):
        bare = stem.lstrip('"').lower()
        pool = [quote(t) for t in _ranked(topics, bare)]
    elif stem or _FIELD_PLACE.search(before[:start]):
        pool = [w for w in _ranked(words, stem.lower()) if w != stem]
    else:
        pool = []  # after a value: no word to complete
    return Completion(start, stem, pool)


def _ranked(names: list[str], stem: str) -> list[str]:
    prefix = [n for n in names if n.lower().startswith(stem)]
    inside = [n for n in names if stem and stem in n.lower() and n not in prefix]
    return prefix + inside
