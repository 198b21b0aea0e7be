"""`evaltui eval --filter`, as `braintrust eval` reads it: ``PATH=REGEX`` keeps the cases
whose field at PATH (``input``, ``metadata.priority``, ...) matches REGEX from its start,
the field's text being the string itself or its JSON; a bare ``REGEX`` keeps the evals
whose name (or experiment name) it finds. Pure functions."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CaseFilter:
    path: tuple[str, ...]
    pattern: re.Pattern[str]

    def matches(self, item: Any) -> bool:
        value = item
        for part in self.path:
            value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
            if value is None:
                return False
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
        return self.pattern.match(text) is not None


def parse_filters(values: Iterable[str]) -> tuple[list[re.Pattern[str]], list[CaseFilter]]:
    """(eval-name patterns, case filters); ValueError (one line) for a bad regex."""
    by_name: list[re.Pattern[str]] = []
    by_field: list[CaseFilter] = []
    for raw in values:
        path, sep, regex = raw.partition("=")
        field = bool(sep) and re.fullmatch(r"[A-Za-z_][\w]*(\.[\w]+)*", path.strip()) is not None
        try:
            if field:
                by_field.append(CaseFilter(tuple(path.strip().split(".")), re.compile(regex)))
            else:
                by_name.append(re.compile(raw))
        except re.error as exc:
            raise ValueError(f"bad --filter regex {raw!r}: {exc}") from None
    return by_name, by_field


def keep(items: list[Any], filters: list[CaseFilter]) -> list[Any]:
    """The items every filter matches."""
    return [i for i in items if all(f.matches(i) for f in filters)] if filters else items
