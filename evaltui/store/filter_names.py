"""A filter's names checked against the database: a scorer or topic nobody ever wrote
matches nothing, silently; say so, with the closest name that exists ("no scorer named
brand_alignmnt; did you mean brand_alignment?")."""

from __future__ import annotations

from collections.abc import Iterator

from evaltui.model import scorer_key
from evaltui.names import did_you_mean
from evaltui.store.db import Store
from evaltui.store.filters import BoolOp, Compare, FilterError, Node, Not, parse


class UnknownNameError(FilterError):
    """The filter names a scorer or topic the database does not hold."""

    def __str__(self) -> str:
        return self.message


def _compares(node: Node | None) -> Iterator[Compare]:
    if isinstance(node, BoolOp):
        for item in node.items:
            yield from _compares(item)
    elif isinstance(node, Not):
        yield from _compares(node.item)
    elif isinstance(node, Compare):
        yield node


def check_names(store: Store, where: str | None) -> None:
    """Raise UnknownNameError for the first ``scores.X`` / ``labels.X`` whose scorer has no
    scores or labels, or ``topic = X`` / ``topic in (...)`` naming a topic no span has."""
    text = where or ""
    for c in _compares(parse(text)):
        parts = c.field.parts
        if parts[0] in ("scores", "labels") and len(parts) == 2:
            # One row is enough to know the name; the full list only for the message.
            if not store.con.execute(
                "SELECT 1 FROM scores WHERE scorer_key = ? LIMIT 1", [scorer_key(parts[1])]
            ).fetchall():
                scorers = [
                    k for (k,) in store.con.execute("SELECT DISTINCT scorer_key FROM scores ORDER BY 1").fetchall()
                ]
                raise UnknownNameError(_message("scorer", parts[1], scorers), c.field.pos, text)
        elif parts == ("topic",) and c.op in ("=", "!=", "in", "notin"):
            for v in c.values:
                if isinstance(v.value, str) and not _topic_exists(store, v.value):
                    topics = [
                        t
                        for (t,) in store.con.execute(
                            "SELECT DISTINCT topic FROM spans WHERE topic IS NOT NULL ORDER BY 1"
                        ).fetchall()
                    ]
                    raise UnknownNameError(_message("topic", v.value, topics), v.pos, text)


def _topic_exists(store: Store, topic: str) -> bool:
    return bool(store.con.execute("SELECT 1 FROM spans WHERE topic = ? LIMIT 1", [topic]).fetchall())


def _message(what: str, name: str, known: list[str]) -> str:
    guess = did_you_mean(name, known)
    if guess:
        return f"no {what} named {name}; did you mean {guess}?"
    return f"no {what} named {name}" + (
        f"; known: {', '.join(known[:5])}{', ...' if len(known) > 5 else ''}" if known else ""
    )
