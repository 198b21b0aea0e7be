"""Judge-corrected diffs: what a diff would say if the judge graded as its humans do.

A judge's grades are a distorted view of the grades people would give: where people give
grade h, the judge gives grade j with probability M[h][j] (its confusion matrix against
the human labels, row-normalised). The share of grades the judge gives, q, is then
``M^T pi`` where pi is the share people would give; solving for pi (and keeping it a
distribution) corrects a pass rate or mean score for the judge's measured error. For a
pass/fail judge this is the Rogan-Gladen estimator, ``pi = (p + TNR - 1) / (TPR + TNR - 1)``
clipped to [0, 1]; for graded scales (A/B/C) the same matrix method.

The error is measured per topic (the topic of each case's origin span), each topic's
confusion shrunk toward its topic group's (when the map has groups), and that toward the
overall one, by as many pseudo-labels as there are grades: a topic with a handful of
labels borrows from its neighbours, then from the rest. The 95% interval is a seeded
bootstrap that resamples the cases (paired, base and candidate together) and, in the same
draw, the human labels the error was measured on, so it carries the uncertainty of the
correction as well as of the sample.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store

RESAMPLES = 1000
SEED = 0


def rogan_gladen(p: float, tpr: float, tnr: float) -> float | None:
    """The true pass rate behind an observed one ``p``, for a judge with these rates;
    None when the judge is no better than chance (TPR + TNR <= 1)."""
    j = tpr + tnr - 1
    if j <= 0:
        return None
    return min(1.0, max(0.0, (p + tnr - 1) / j))


def correct_shares(q: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Shares of the human grades behind judge grade shares ``q`` (..., k), for confusion
    rows ``m`` (..., k, k) (rows: human grade, columns: judge grade, each summing to 1):
    the least-squares solution of ``m^T pi = q``, clipped at 0 and renormalised."""
    pi = np.einsum("...ij,...j->...i", np.linalg.pinv(np.swapaxes(m, -1, -2)), q)
    pi = np.clip(pi, 0.0, None)
    total = pi.sum(axis=-1, keepdims=True)
    return np.where(total > 0, pi / np.where(total > 0, total, 1), q)


def shrink(counts: np.ndarray, prior: np.ndarray, strength: float) -> np.ndarray:
    """Row-normalised confusions from ``counts``, each row shrunk toward the same row of
    ``prior`` (already normalised) by ``strength`` pseudo-labels."""
    return (counts + strength * prior) / (counts.sum(axis=-1, keepdims=True) + strength)


def confusion_rows(counts: np.ndarray, prior_strength: float) -> np.ndarray:
    """Row-normalised confusions (..., topics, k, k) from counts, each topic's rows shrunk
    toward the overall rows (the sum over topics) by ``prior_strength`` pseudo-labels;
    a grade nobody gave is taken as graded right (an identity row)."""
    k = counts.shape[-1]
    overall = counts.sum(axis=-3)
    n_all = overall.sum(axis=-1, keepdims=True)
    base = np.where(n_all > 0, overall / np.where(n_all > 0, n_all, 1), np.eye(k))
    return shrink(counts, base[..., None, :, :], prior_strength)


@dataclass
class Corrected:
    """One score's diff, as the judge graded it and corrected for its error."""

    n: int
    labels: int  # human labels the error was measured on
    judge_base: float | None  # mean score
    judge_candidate: float | None
    judge_delta: float | None
    judge_ci: tuple[float, float] | None
    corrected_base: float | None
    corrected_candidate: float | None
    corrected_delta: float | None
    corrected_ci: tuple[float, float] | None
    judge_pass_delta: float | None = None  # pass rate (score >= threshold)
    judge_pass_ci: tuple[float, float] | None = None
    corrected_pass_delta: float | None = None
    corrected_pass_ci: tuple[float, float] | None = None
    topics: dict[str, dict[str, Any]] = field(default_factory=dict)  # per case topic: n, labels, TPR, TNR


def corrected_diff(
    cases: list[tuple[str, int, int]],
    pairs: list[tuple[str, int, int]],
    scores: list[float],
    threshold: float,
    *,
    groups: dict[str, str] | None = None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Corrected:
    """``cases``: (topic, base grade, candidate grade) per matched case, grades as indices
    into ``scores`` (each grade's score, best first); ``pairs``: (topic, human grade, judge
    grade) per human label the judge's error is measured on; ``groups``: topic -> group."""
    k = len(scores)
    values = np.asarray(scores, float)
    passing = values >= threshold
    # the cases' topics, and one slot for labels of every other topic (they count only in
    # the overall confusion each topic is shrunk toward)
    topics = sorted({t for t, _, _ in cases})
    index = {t: i for i, t in enumerate(topics)}
    n_topics = len(topics) + 1
    other = len(topics)
    if not cases:
        return Corrected(0, len(pairs), None, None, None, None, None, None, None, None)
    c_topic = np.array([index[t] for t, _, _ in cases])
    c_base = np.array([b for _, b, _ in cases])
    c_cand = np.array([c for _, _, c in cases])
    p_topic = np.array([index.get(t, other) for t, _, _ in pairs], dtype=int)
    groups = groups or {}
    group_names = sorted({groups[t] for t in topics if t in groups})
    g_index = {g: i for i, g in enumerate(group_names)}
    n_groups = len(group_names) + 1  # + labels of no group of the cases
    p_group = np.array([g_index.get(groups.get(t, ""), len(group_names)) for t, _, _ in pairs], dtype=int)
    topic_group = np.array([g_index.get(groups.get(t, ""), -1) for t in topics] + [-1])
    p_flat = (
        (
            p_topic * k * k
            + np.array([h for _, h, _ in pairs], dtype=int) * k
            + np.array([j for _, _, j in pairs], dtype=int)
        )
        if pairs
        else np.zeros(0, int)
    )

    def estimate(case_idx: np.ndarray, pair_idx: np.ndarray) -> np.ndarray:
        """Per draw (rows of the index arrays): judge mean base, candidate; corrected mean
        base, candidate; then the same four for the pass rate."""
        draws = case_idx.shape[0]
        offsets = np.arange(draws)[:, None]
        cells = n_topics * k * k
        counts = np.bincount((offsets * cells + p_flat[pair_idx]).ravel(), minlength=draws * cells)
        counts = counts.reshape(draws, n_topics, k, k).astype(float)
        overall = counts.sum(axis=1)
        n_all = overall.sum(axis=-1, keepdims=True)
        overall_rows = np.where(n_all > 0, overall / np.where(n_all > 0, n_all, 1), np.eye(k))
        g_cells = n_groups * k * k
        g_flat = p_group * k * k + (p_flat % (k * k))
        g_counts = np.bincount((offsets * g_cells + g_flat[pair_idx]).ravel(), minlength=draws * g_cells)
        g_rows = shrink(g_counts.reshape(draws, n_groups, k, k).astype(float), overall_rows[:, None], float(k))
        prior = np.where(
            (topic_group >= 0)[None, :, None, None], g_rows[:, np.maximum(topic_group, 0)], overall_rows[:, None]
        )
        m = shrink(counts, prior, float(k))
        out = []
        judged, corrected = [], []
        for side in (c_base, c_cand):
            q = (
                np.bincount(
                    (offsets * n_topics * k + c_topic[case_idx] * k + side[case_idx]).ravel(),
                    minlength=draws * n_topics * k,
                )
                .reshape(draws, n_topics, k)
                .astype(float)
            )
            n_t = q.sum(axis=2)
            q_share = q / np.where(n_t > 0, n_t, 1)[:, :, None]
            pi = correct_shares(q_share, m)
            w = n_t / n_t.sum(axis=1, keepdims=True)
            judged.append(np.einsum("dt,dtk->dk", w, q_share))
            corrected.append(np.einsum("dt,dtk->dk", w, pi))
        for shares in (judged, corrected):
            out += [s @ values for s in shares]
        for shares in (judged, corrected):
            out += [s @ passing for s in shares]
        return np.stack(out, axis=1)

    point = [float(v) for v in estimate(np.arange(len(cases))[None, :], np.arange(len(pairs))[None, :])[0]]
    rng = np.random.default_rng(seed)
    draws = estimate(
        rng.integers(0, len(cases), (resamples, len(cases))),
        rng.integers(0, len(pairs), (resamples, len(pairs))) if pairs else np.zeros((resamples, 0), dtype=int),
    )

    def ci(col_b: int, col_c: int) -> tuple[float, float]:
        deltas = draws[:, col_c] - draws[:, col_b]
        lo, hi = np.percentile(deltas, [2.5, 97.5])
        return float(lo), float(hi)

    per_topic: dict[str, dict[str, Any]] = {}
    counts = (
        np.bincount(p_flat, minlength=n_topics * k * k).reshape(n_topics, k, k) if pairs else np.zeros((n_topics, k, k))
    )
    for t in sorted({t for t, _, _ in cases}):
        c = counts[index[t]]
        tp, fn = c[np.ix_(passing, passing)].sum(), c[np.ix_(passing, ~passing)].sum()
        tn, fp = c[np.ix_(~passing, ~passing)].sum(), c[np.ix_(~passing, passing)].sum()
        per_topic[t] = {
            "cases": int((c_topic == index[t]).sum()),
            "labels": int(c.sum()),
            "tpr": float(tp / (tp + fn)) if tp + fn else None,
            "tnr": float(tn / (tn + fp)) if tn + fp else None,
        }
    return Corrected(
        n=len(cases),
        labels=len(pairs),
        judge_base=point[0],
        judge_candidate=point[1],
        judge_delta=point[1] - point[0],
        judge_ci=ci(0, 1),
        corrected_base=point[2],
        corrected_candidate=point[3],
        corrected_delta=point[3] - point[2],
        corrected_ci=ci(2, 3),
        judge_pass_delta=point[5] - point[4],
        judge_pass_ci=ci(4, 5),
        corrected_pass_delta=point[7] - point[6],
        corrected_pass_ci=ci(6, 7),
        topics=per_topic,
    )


def judge_corrections(
    store: Store, comparison: Any, settings: Settings | None = None, experiment_ids: list[str] | None = None
) -> dict[str, Any]:
    """Per score of ``comparison`` whose scorer has human labels: the judge's measured error
    (which scorer version, how many labels) and the corrected diff overall and per bucket.
    The error is that of the very judge version that graded the experiments when it has
    graded labelled spans (an LLM judge records its rubric; `evaltui align` grades the
    labels), else of the version of that scorer with the most labels. Scores without
    labels are left out."""
    from evaltui.config import get_settings
    from evaltui.model import scorer_key
    from evaltui.scoring.agreement import categories_for, categorise
    from evaltui.scoring.human_labels import scale_for
    from evaltui.scoring.span_calibration import labels_key
    from evaltui.store.calibration_pairs import (
        calibration_pairs,
        record_topics,
        result_judge,
        scorer_versions,
        topic_groups,
    )

    s = settings or get_settings()
    record_ids = [row["record_id"] for row in comparison.cases if row.get("record_id")]
    topic_of = record_topics(store, record_ids) if record_ids else {}
    groups = topic_groups(store)
    out: dict[str, Any] = {}
    for name in comparison.scores:
        key = scorer_key(name)
        rubric, graded_by = result_judge(store, experiment_ids, key) if experiment_ids else (None, None)
        label_key = rubric or labels_key(store, key)
        # the judge's own scores of labelled spans: under its name, or its rubric's
        measured = [
            (v, calibration_pairs(store, span_key, v, label_key))
            for span_key in dict.fromkeys([key, rubric or key])
            for v, _, _ in scorer_versions(store, span_key)
        ]
        measured = [(v, p) for v, p in measured if p]
        if not measured:
            continue
        exact = [(v, p) for v, p in measured if v == graded_by]
        own = [(v, p) for v, p in measured[: len(scorer_versions(store, key))]] or measured
        version, rows = exact[0] if exact else max(own, key=lambda vp: len(vp[1]))
        scale = scale_for(store, label_key)
        categories = categories_for(scale, [r["score"] for r in rows] + [r["human_score"] for r in rows])
        if len(categories) < 2:
            continue
        names = [c for c, _ in categories]
        grade = {c: i for i, c in enumerate(names)}
        pairs = [
            (
                r["topic"],
                grade[categorise(r["human_score"], r.get("human_label"), categories)],
                grade[categorise(r["score"], r.get("label"), categories)],
            )
            for r in rows
        ]
        threshold = s.threshold(label_key)

        def cases_of(bucket: str | None) -> list[tuple[str, int, int]]:
            picked = []
            for row in comparison.cases:
                sc = row["scores"].get(name) or {}
                if "base" not in sc or "candidate" not in sc or "delta" not in sc:
                    continue
                if bucket is not None and (row.get("bucket") or "(none)") != bucket:
                    continue
                picked.append(
                    (
                        topic_of.get(row.get("record_id") or "", "(unassigned)"),
                        grade[categorise(sc["base"], None, categories)],
                        grade[categorise(sc["candidate"], None, categories)],
                    )
                )
            return picked

        scores = [v for _, v in categories]
        from evaltui.scoring.agreement import agreement as agree

        overall = agree([(names[h], names[j]) for _, h, j in pairs], categories, threshold)
        entry = {
            "labels_of": label_key,
            "version": version,
            "same_version": bool(exact),
            "labels": len(pairs),
            "threshold": threshold,
            "agreement": {k: overall[k] for k in ("n", "accuracy", "kappa", "kappa_ci")}
            | {"tpr": overall["pass_fail"]["tpr"], "tnr": overall["pass_fail"]["tnr"]},
            "overall": corrected_diff(cases_of(None), pairs, scores, threshold, groups=groups),
            "by_bucket": {
                b: corrected_diff(cases_of(b), pairs, scores, threshold, groups=groups)
                for b in sorted(comparison.buckets)
                if name in comparison.buckets[b]
            },
        }
        out[name] = entry
    return out


def _delta_ci(delta: float | None, ci: Any) -> str:
    if delta is None:
        return "-"
    return f"{delta:+.2f}" + (f" [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "")


def corrected_line(name: str, d: Any, pass_rate: bool = False) -> str:
    """ "Brand Alignment: judge +0.31 [CI]; corrected for judge error +0.24 [CI]" of one
    ``evals.corrected.Corrected`` (its mean score, or its pass rate)."""

    def get(field: str) -> Any:
        return d[field] if isinstance(d, dict) else getattr(d, field)

    if pass_rate:
        return (
            f"{name} pass rate: judge {_delta_ci(get('judge_pass_delta'), get('judge_pass_ci'))}; "
            f"corrected for judge error {_delta_ci(get('corrected_pass_delta'), get('corrected_pass_ci'))}"
        )
    return (
        f"{name}: judge {_delta_ci(get('judge_delta'), get('judge_ci'))}; "
        f"corrected for judge error {_delta_ci(get('corrected_delta'), get('corrected_ci'))}"
    )
