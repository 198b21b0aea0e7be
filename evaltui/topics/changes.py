"""What a rebuild changed, and when the active map has gone stale. Pure rules, plus the two
functions that read the store for them.

Changes are judged by the conversations two maps share: with |O∩N| the conversations old
topic O and new topic N have in common,
- a new topic N *comes from* O when most of N's conversations were in O (|O∩N| > |N|/2);
- most of O *went into* N when |O∩N| > |O|/2;
- N is **new** when it comes from no old topic and is no merge;
- O is **split** when 2+ new topics come from it;
- N is **merged** when most of 2+ old topics went into it;
- O is **gone** when nothing comes from it and most of it went into no topic.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from collections.abc import Iterable, Mapping

if TYPE_CHECKING:
    from evaltui.store import Store


@dataclass
class MapChanges:
    new: list[str] = field(default_factory=list)
    split: dict[str, list[str]] = field(default_factory=dict)  # old key -> the new topics that come from it
    merged: dict[str, list[str]] = field(default_factory=dict)  # new key -> the old topics mostly in it
    gone: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line per kind of change; none when nothing changed."""
        out = []
        if self.new:
            out.append("new: " + ", ".join(self.new))
        for old, parts in self.split.items():
            out.append(f"split: {old} -> {', '.join(parts)}")
        for new, parts in self.merged.items():
            out.append(f"merged: {' + '.join(parts)} -> {new}")
        if self.gone:
            out.append("gone: " + ", ".join(self.gone))
        return out


def changes_from_overlap(
    overlap: Iterable[tuple[str | None, str | None, int]], new_keys: Iterable[str] = ()
) -> MapChanges:
    """MapChanges from (old key, new key, conversations) counts; None = unassigned/absent.
    ``new_keys`` adds new topics that hold no conversation (they are new too)."""
    cells: Counter[tuple[str | None, str | None]] = Counter()
    old_size: Counter = Counter()
    new_size: Counter = Counter()
    for o, n, c in overlap:
        cells[(o, n)] += c
        if o is not None:
            old_size[o] += c
        if n is not None:
            new_size[n] += c
    comes_from: dict[str, str] = {}
    went_into: dict[str, str] = {}
    for (o, n), c in cells.items():
        if o is None or n is None:
            continue
        if c * 2 > new_size[n]:
            comes_from[n] = o
        if c * 2 > old_size[o]:
            went_into[o] = n
    changes = MapChanges()
    children: dict[str, list[str]] = {}
    for n, o in sorted(comes_from.items()):
        children.setdefault(o, []).append(n)
    changes.split = {o: ns for o, ns in sorted(children.items()) if len(ns) >= 2}
    parents: dict[str, list[str]] = {}
    for o, n in sorted(went_into.items()):
        parents.setdefault(n, []).append(o)
    changes.merged = {n: os_ for n, os_ in sorted(parents.items()) if len(os_) >= 2}
    changes.new = sorted(n for n in set(new_size) | set(new_keys) if n not in comes_from and n not in changes.merged)
    changes.gone = sorted(o for o in old_size if o not in children and o not in went_into)
    return changes


def compare_maps(old_assignments: Mapping[str, str | None], new_assignments: Mapping[str, str | None]) -> MapChanges:
    """Compare two maps given as conversation id -> topic key (None: unassigned)."""
    counts: Counter = Counter()
    for span in set(old_assignments) | set(new_assignments):
        counts[(old_assignments.get(span), new_assignments.get(span))] += 1
    return changes_from_overlap((o, n, c) for (o, n), c in counts.items())


def map_changes(store: Store, map_id: int) -> tuple[int, MapChanges] | None:
    """(previous map id, what changed) for map ``map_id``; None when it is the first map."""
    from evaltui.store import map_history

    previous = map_history.previous_map_id(store, map_id)
    if previous is None:
        return None
    overlap = map_history.topic_overlap(store, previous, map_id)
    return previous, changes_from_overlap(overlap, map_history.map_keys(store, map_id))


# -- staleness ---------------------------------------------------------------------------


@dataclass
class Staleness:
    """How the active map fares on the conversations added since it was built."""

    map_id: int
    built: int  # conversations with text when it was built
    built_unassigned_share: float
    new: int  # conversations with text added since
    new_unassigned: int
    min_new: int
    threshold: float  # the new conversations' unassigned share above which the map is stale

    @property
    def new_unassigned_share(self) -> float:
        return self.new_unassigned / self.new if self.new else 0.0

    @property
    def stale(self) -> bool:
        return self.new >= self.min_new and self.new_unassigned_share > self.threshold

    @property
    def message(self) -> str:
        return (
            f"the topic map is stale: {self.new_unassigned_share:.0%} of the {self.new:,} conversations added "
            f"since it was built fit no topic ({self.built_unassigned_share:.0%} when built); "
            "run `evaltui topics build`"
        )


def staleness_rule(built: int, built_unassigned: int, new: int, new_unassigned: int, map_id: int = 0) -> Staleness:
    """The rule, from the map itself.

    A map built with a share u of its conversations unassigned is stale when, of the
    conversations added since, more than u + max(10 points, u/2) fit no topic (1.5 times
    the share it was built with, and at least 10 points more), counted once at least
    max(20, 2% of the map's conversations) have been added, so a few stray messages never
    trigger it. Conversations without text count on neither side.
    """
    base = built_unassigned / built if built else 0.0
    return Staleness(
        map_id=map_id,
        built=built,
        built_unassigned_share=base,
        new=new,
        new_unassigned=new_unassigned,
        min_new=max(20, math.ceil(0.02 * built)),
        threshold=min(1.0, base + max(0.10, base / 2)),
    )


def map_staleness(store: Store) -> Staleness | None:
    """The active map's staleness (see ``staleness_rule``; ``.stale`` says whether to rebuild);
    None when there is no map."""
    from evaltui.store import map_history
    from evaltui.store import topics as topic_store

    current = topic_store.active_map(store)
    if current is None:
        return None
    c = map_history.unassigned_since_build(store, current["id"])
    return staleness_rule(c["built"], c["built_unassigned"], c["new"], c["new_unassigned"], map_id=current["id"])
