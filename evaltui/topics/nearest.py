"""Each text's nearest neighbours: an exact search in blocks of cosines, the words (a
lexical view) re-ranking the vectors' candidates, and the lists a search keeps for a later,
wider one over the same vectors (``Near``). Pure functions on arrays; the topic map's graph
(``cluster.fuzzy_graph``) and the groups' wider neighbourhood (``groups.group_topics``) are
built on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

CANDIDATES = 2  # with the lexical view, the words re-rank the vectors' nearest 2 x n**0.4 (``knn``)
NEAR_KEPT = 2  # the text graph's search keeps NEAR_KEPT x its candidates per text for the groups' (``Near``)


def neighbours(n: int, most: int) -> int:
    """The neighbourhood for n texts: ``most``, but n**0.4 when that is smaller (6 for 88
    texts), so that on a small log a neighbourhood stays smaller than a topic."""
    return int(max(3, min(most, round(n**0.4))))


def knn(
    vectors: np.ndarray, k: int, block: int = 2048, lexical: Any = None, share: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's k nearest neighbours (not itself), nearest first, and their similarities.
    Exact, in blocks, so memory stays at block x n (vectors L2-normalised).

    ``lexical``: the texts' L2-normalised sparse TF-IDF rows (``represent.lexical``). The
    candidates are then the vectors' nearest ``CANDIDATES`` x max(k, n**0.4) (twice the
    neighbourhood ``neighbours`` gives n texts before its cap: 12 of 88 texts, 32 of 1,000,
    62 of 5,500), and of those the k with the highest (1 - share) x the vectors' cosine +
    share x the lexical one: the words re-rank MiniLM's candidates, they never bring in a text
    MiniLM puts farther. Why: ranked over all texts, the mixed similarity lets two requests
    that share only a wrapper or a phrase ("Good morning, how long does standard shipping take
    Thanks." and "Excuse me, how long does a refund take after the return arrives Can you
    check?") be each other's nearest, over texts MiniLM ranks far nearer: on the tests'
    88-conversation fixture (4 requests x 22) the shipping questions joined the refund topic,
    where MiniLM alone, and this rule, give the 4 requests exactly. Measured over every set and stand-in (two draws): fine NMI
    above MiniLM alone on 13 of 14 rows (not CLINC150 64x17_oos @13: 0.809 against 0.824),
    groups higher on 11
    (bench/RESULTS.md "The lexical view re-ranks MiniLM's candidates")."""
    return search(vectors, k, block, lexical, share)[:2]


@dataclass(frozen=True)
class Near:
    """Each text's ``cols.shape[1]`` nearest other texts by the vectors alone (per row: the
    columns as ``_largest`` gives them, their cosines ``vals``, the same floats as the block
    products'), kept by one neighbour search for a later one over the same ``vectors``."""

    vectors: np.ndarray
    cols: np.ndarray
    vals: np.ndarray


def search(
    vectors: np.ndarray,
    k: int,
    block: int = 2048,
    lexical: Any = None,
    share: float = 0.5,
    keep: int = 0,
    near: Near | None = None,
) -> tuple[np.ndarray, np.ndarray, Near | None]:
    """``knn``, and with ``keep`` each text's ``keep`` nearest by the vectors (``Near``). With
    ``near`` (a search's ``Near`` over the same ``vectors`` object), the vectors' candidates
    come from those lists where they hold them (``_within``: the same columns as a pass over
    all pairs), and only the blocks with a row they cannot settle are multiplied again: the
    groups' wider neighbourhood (``group_topics``) then costs no second pass over n x n
    cosines. The same neighbours as ``knn`` in every case."""
    n = len(vectors)
    k = max(1, min(k, n - 1))
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    # the candidates' word cosines alone (``_pair_cosines``) where the rows are sorted, as
    # ``represent.lexical``'s are; else the block's whole product with every text
    lexical_t = lexical.T.tocsr() if lexical is not None and not lexical.has_sorted_indices else None
    pool = min(n - 1, CANDIDATES * max(k, round(n**0.4)))
    need = pool if lexical is not None else k  # the vectors' columns taken per text (``_largest``)
    keep = min(n - 1, keep)
    if near is not None and (near.vectors is not vectors or near.cols.shape[1] < need):
        near = None
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    scratch = _Scratch.for_blocks(vectors, block)
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        sims: np.ndarray | None = None
        if near is not None and not keep:
            cols, vals = near.cols[start : start + block], near.vals[start : start + block]
        else:
            sims = _block(vectors, start, block, scratch)
            if keep:
                cols = _largest(sims, keep, scratch)
                vals = np.take_along_axis(sims, cols, axis=1)
                kept.append((cols, vals))
        if sims is not None and (not keep or need > keep):
            cand = _largest(sims, need, scratch)
            vec = np.take_along_axis(sims, cand, axis=1)
        else:
            cand, at, tied = _within(cols, vals, need)
            vec = np.take_along_axis(vals, at, axis=1)
            if tied.any():  # ties at the need-th cosine: as ``_largest``, from the whole rows
                sims = _block(vectors, start, block, scratch) if sims is None else sims
                cand[tied] = np.argpartition(-sims[tied], need - 1, axis=1)[:, :need]
                vec[tied] = np.take_along_axis(sims[tied], cand[tied], axis=1)
        if lexical is not None:
            if lexical_t is None:
                words = _pair_cosines(lexical, rows, cand)
            else:
                words = np.take_along_axis((lexical[start : start + block] @ lexical_t).toarray(), cand, axis=1)
            mixed = (1.0 - share) * vec + share * words
            part = np.argpartition(-mixed, k - 1, axis=1)[:, :k]
            vals_k = np.take_along_axis(mixed, part, axis=1)
        else:
            part, vals_k = cand, vec
        order = np.argsort(-vals_k, axis=1)
        part = np.take_along_axis(part, order, axis=1)
        idx[start : start + block] = part if lexical is None else np.take_along_axis(cand, part, axis=1)
        sim[start : start + block] = np.take_along_axis(vals_k, order, axis=1)
    if not keep:
        return idx, sim, None
    return idx, sim, Near(vectors, np.concatenate([c for c, _ in kept]), np.concatenate([v for _, v in kept]))


@dataclass(frozen=True)
class _Scratch:
    """Arrays of one block's shape, made once per search and written over block after block
    (``_block``'s product, ``_largest``'s partition and marks)."""

    product: np.ndarray
    values: np.ndarray
    marks: np.ndarray

    @classmethod
    def for_blocks(cls, vectors: np.ndarray, block: int) -> _Scratch:
        shape = (min(block, len(vectors)), len(vectors))
        kind = np.result_type(vectors.dtype, vectors.dtype)
        return cls(np.empty(shape, dtype=kind), np.empty(shape, dtype=kind), np.empty(shape, dtype=bool))


def _block(vectors: np.ndarray, start: int, block: int, scratch: _Scratch | None = None) -> np.ndarray:
    """The cosines of the texts ``start`` .. ``start + block`` with every text, each with
    itself at -inf (one matrix product per block: the same floats whenever it is made again,
    into ``scratch.product`` when given)."""
    stop = min(start + block, len(vectors))
    if scratch is None:
        sims = vectors[start:stop] @ vectors.T
    else:
        sims = np.matmul(vectors[start:stop], vectors.T, out=scratch.product[: stop - start])
    rows = np.arange(start, stop)
    sims[rows - start, rows] = -np.inf
    return sims


def _within(cols: np.ndarray, vals: np.ndarray, need: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_largest(sims, need)`` taken from each row's ``cols.shape[1]`` largest (``cols``,
    ``vals``; ``Near``): (the columns, their positions in ``cols``, the rows it cannot settle).
    A row whose need-th value is not tied among its kept ones holds exactly the ``need``
    columns at or above it (everything not kept is below), in ascending order as
    ``_largest`` gives them; a tied row (duplicate texts) is left to the caller."""
    width = cols.shape[1]
    at = np.zeros((len(cols), need), dtype=np.int64)
    if need == width:  # the kept lists themselves, as ``_largest`` gave them
        at[:] = np.arange(width)
        return cols.copy(), at, np.zeros(len(cols), dtype=bool)
    kth = np.partition(vals, width - need, axis=1)[:, width - need]
    above = vals >= kth[:, None]
    ok = above.sum(axis=1) == need
    if ok.any():
        pos = np.nonzero(above[ok])[1].reshape(-1, need)
        order = np.argsort(np.take_along_axis(cols[ok], pos, axis=1), axis=1)
        at[ok] = np.take_along_axis(pos, order, axis=1)
    return np.take_along_axis(cols, at, axis=1), at, ~ok


PAIR_ROWS = 128  # texts whose word rows ``_pair_cosines`` spreads out at once (128 x terms floats)


def _pair_cosines(lexical: Any, rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """``(lexical[rows] @ lexical.T)`` at the columns ``cand`` (one row of candidates per text
    of ``rows``): the word cosines of the candidate pairs only, the same float32 values as that
    product's. scipy's sparse product (``csr_matmat``) adds each shared term's product
    (float32) one at a time, in the order of the row's terms; for rows with sorted terms
    (``represent.lexical``'s) that is the terms' order in either row, so here each pair's
    products, taken in its candidate's term order (0 where the text lacks the term: adding 0
    changes no float), are added column by column in that order. Why: the product with every
    text computed ~n cosines per text to keep 2 x n**0.4 of them (bench/RESULTS.md "A time
    margin on CLINC150")."""
    indptr, indices, data = lexical.indptr, lexical.indices, lexical.data
    terms = lexical.shape[1]
    lengths = np.diff(indptr)
    out = np.zeros(cand.shape, dtype=data.dtype)
    spread = np.zeros(min(PAIR_ROWS, len(rows)) * terms, dtype=data.dtype)
    for first in range(0, len(rows), PAIR_ROWS):
        mine = rows[first : first + PAIR_ROWS]
        owner, at = _entries(indptr, lengths, mine)
        place = owner * terms + indices[at]
        spread[place] = data[at]  # each text's words, spread out on its own row
        theirs = cand[first : first + PAIR_ROWS].ravel()
        pair, their_at = _entries(indptr, lengths, theirs)
        longest = int(lengths[theirs].max(initial=0))
        if longest:
            products = np.zeros((len(theirs), longest), dtype=data.dtype)
            within = their_at - indptr[theirs][pair]
            products[pair, within] = spread[(pair // cand.shape[1]) * terms + indices[their_at]] * data[their_at]
            total = out[first : first + PAIR_ROWS].reshape(-1)  # a view: filled in place
            for column in range(longest):
                total += products[:, column]
        spread[place] = 0.0
    return out


def _entries(indptr: np.ndarray, lengths: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stored entries of ``rows`` of a CSR matrix: (which of ``rows`` each belongs to, its
    position in the matrix's ``indices`` / ``data``), row after row in storage order."""
    counts = lengths[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    starts = np.cumsum(counts) - counts
    return owner, indptr[rows][owner] + np.arange(int(counts.sum())) - starts[owner]


def _largest(sims: np.ndarray, k: int, scratch: _Scratch | None = None) -> np.ndarray:
    """The columns of each row's k largest values (in no order): the k-th largest value by a
    partition of the values, then the columns at or above it; a row with ties at that value
    (more than k columns) takes its k by ``np.argpartition``. The same columns as
    ``np.argpartition(-sims, k - 1)[:, :k]`` wherever the k-th value is not tied, at a fifth of
    its CPU over thousands of columns (that one negates the block and moves a full row of 8-byte
    indices per row: 0.31 s against 0.07 s for 2,048 x 5,500 and k = 62). ``scratch``: arrays
    of the block's shape (``_Scratch``) the partition and the marks are made in, so that a
    search over many blocks does not fault in fresh pages for each."""
    n = sims.shape[1]
    if k >= n:
        return np.argsort(-sims, axis=1, kind="stable")[:, :k]
    if scratch is None:
        kth = np.partition(sims, n - k, axis=1)[:, n - k]
        above = sims >= kth[:, None]
    else:
        part = scratch.values[: len(sims)]
        np.copyto(part, sims)
        part.partition(n - k, axis=1)
        kth = part[:, n - k].copy()
        above = np.greater_equal(sims, kth[:, None], out=scratch.marks[: len(sims)])
    counts = above.sum(axis=1)
    if (counts == k).all():
        return np.nonzero(above)[1].reshape(len(sims), k)
    out = np.empty((len(sims), k), dtype=np.int64)
    exact = counts == k
    out[exact] = np.nonzero(above[exact])[1].reshape(-1, k)
    tied = np.flatnonzero(~exact)
    out[tied] = np.argpartition(-sims[tied], k - 1, axis=1)[:, :k]
    return out
