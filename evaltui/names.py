"""Short names that stay distinct: abbreviate a list of names (scorers, topics,
experiments) to a column width so that no two of them read the same, and suggest the
name a typo meant.

Pure functions, no imports from the rest of evaltui, so any layer (the CLI's tables,
every pane of the TUI) can use them. The demo's story is ``brand_alignment`` against
``brand_alignment_offline``: cutting both to six characters gives ``brand_`` twice,
while shortening the words the two share first gives ``bra_al`` and ``b_a_of``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

_PARTS = re.compile(r"[^\s_\-./:()]+|[\s_\-./:()]+")
_SEPARATORS = re.compile(r"^[\s_\-./:()]+$")
_SEPARATOR_CHARS = " \t_-./:()"


def _split(name: str) -> tuple[list[str], list[str]]:
    """The words of ``name`` and the separator before each (the first is '')."""
    words: list[str] = []
    seps: list[str] = []
    pending = ""
    for part in _PARTS.findall(name):
        if _SEPARATORS.match(part):
            pending += part
        else:
            seps.append(pending[:1] if words else "")  # one separator character is enough
            words.append(part)
            pending = ""
    return words, seps


def _shorten(words: list[str], seps: list[str], common: list[bool], width: int) -> str:
    """Shorten the longest words first (the shared ones before the distinguishing ones)
    until the name fits ``width``; then drop separators; then cut."""
    lengths = [len(w) for w in words]

    def total() -> int:
        return sum(lengths) + sum(len(s) for s in seps)

    # Stages: shared words down to 3, own words down to 3, shared to 1, own to 1.
    for floor, shared_only in ((3, True), (3, False), (1, True), (1, False)):
        while total() > width:
            pool = [i for i, n in enumerate(lengths) if n > floor and (common[i] or not shared_only)]
            if not shared_only:  # own words shrink only once the shared ones reached the floor
                pool = [i for i in pool if not common[i]] or pool
            if not pool:
                break
            # The longest word loses a letter; on a tie, the later one (the head word reads first).
            i = max(pool, key=lambda j: (lengths[j], j))
            lengths[i] -= 1
    text = "".join(s + w[:n] for s, w, n in zip(seps, words, lengths))
    if len(text) > width:
        text = "".join(w[:n] for w, n in zip(words, lengths))
    return text[:width]


def abbreviate(names: Sequence[str], width: int | Sequence[int]) -> list[str]:
    """Each of ``names`` in at most ``width`` characters, all distinct while the names are.

    ``width`` is one width for all, or one per name (columns of different widths).

    A name that fits stays whole; a longer one is cut at the width when the cut reads like
    no other name's (``conversation_quality`` at 6: ``conver``). Names whose cuts would be
    twins keep their words and shorten them instead, the words they share with the other
    names first, so what tells them apart survives (``brand_alignment`` /
    ``brand_alignment_offline`` at 6: ``bra_al`` / ``b_a_of``; a cut that another name
    starts with counts as a twin). Two that would still read the same end in a number
    (``abc~1``, ``abc~2``).
    """
    widths = [max(1, w) for w in (width if isinstance(width, Sequence) else [width] * len(names))]
    if all(len(n) <= w for n, w in zip(names, widths)):
        return list(names)
    split = [_split(n) for n in names]
    counts: dict[str, int] = {}
    for words, _ in split:
        for w in {w.lower() for w in words}:
            counts[w] = counts.get(w, 0) + 1
    lowered = {n.lower() for n in names}

    def cut(name: str, width: int) -> str:
        # A cut never ends in a separator: a trailing space or _ would not show.
        return name[:width].rstrip(_SEPARATOR_CHARS) or name[:width]

    def plain_cut(name: str, width: int) -> bool:
        # A cut reads as this name only when no other name starts with it.
        c = cut(name, width).lower()
        return not any(other != name.lower() and other.startswith(c) for other in lowered)

    out: list[str] = []
    for name, (words, seps), width in zip(names, split, widths):
        if len(name) <= width or not words:
            out.append(name[:width])
        elif plain_cut(name, width):
            out.append(cut(name, width))
        else:
            common = [counts[w.lower()] > 1 for w in words]
            out.append(_shorten(words, seps, common, width))
    return _make_distinct(list(names), out, widths)


def _make_distinct(names: list[str], short: list[str], widths: list[int]) -> list[str]:
    seen: dict[str, list[int]] = {}
    for i, s in enumerate(short):
        seen.setdefault(s.lower(), []).append(i)
    for same in seen.values():
        if len(same) < 2 or len({names[i] for i in same}) < 2:
            continue  # distinct, or the names themselves were equal
        for k, i in enumerate(same, start=1):
            tag, width = f"~{k}", widths[i]
            short[i] = (short[i][: max(0, width - len(tag))] + tag)[-width:] if width > len(tag) else str(k)[:width]
    return short


def legend(names: Sequence[str], short: Sequence[str]) -> list[tuple[str, str]]:
    """(abbreviation, full name) for each name that was shortened, in order, once."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for name, s in zip(names, short):
        if s != name and name not in seen:
            seen.add(name)
            out.append((s, name))
    return out


def legend_text(names: Sequence[str], short: Sequence[str]) -> str:
    """The legend as one line: ``bra_al = brand_alignment · b_a_of = brand_alignment_offline``."""
    return " · ".join(f"{s} = {n}" for s, n in legend(names, short))


def did_you_mean(word: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``word`` (a typo), or None when none is close."""
    known = list(known)
    if not known:
        return None
    low = {k.lower(): k for k in known}
    hits = difflib.get_close_matches(word.lower(), list(low), n=1, cutoff=0.6)
    if hits:
        return low[hits[0]]
    # A misspelt start of a longer name ("passwrd" for password_delete_account).
    w = word.lower()
    starts = [(difflib.SequenceMatcher(None, w, k[: len(w) + 1]).ratio(), k) for k in low]
    best = max(starts, default=(0.0, ""))
    if best[0] >= 0.8:
        return low[best[1]]
    prefixed = [k for k in known if k.lower().startswith(word.lower()) or word.lower().startswith(k.lower())]
    return prefixed[0] if prefixed else None
