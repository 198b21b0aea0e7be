"""Label-free rules for refine's finer move, scored from bench/topic_cap.py's JSON: each rule
picks one of the candidates 1x..4x per row and pipeline seed from the label-free figures only;
the labels (the goals each candidate misses) only score the pick. Goals lost / gained against
main's ``refine`` (the pick the JSON records)."""

from __future__ import annotations

import numpy as np

AT_BASE = 3
CANDIDATES = range(3, 8)


def change(vi: list[float], i: int) -> float:
    return (vi[i - 1] + vi[i]) / 2


def plateau(vi: list[float], typical: list[float], k: int, allowed=None) -> int:
    """refine's rule on one curve (indices into REFINE_STEPS)."""
    inner = [i for i in range(1, len(vi)) if typical[i] >= k and (allowed is None or allowed(i))]
    if not inner:
        return AT_BASE
    return max(AT_BASE, min(inner, key=lambda i: change(vi, i)))


def curves(rec: dict, seed: str) -> list[dict]:
    """The pipeline seed's curve first, then the noise seeds'."""
    first = rec["curves"][seed]
    return [first] + [c for s, c in rec["curves"].items() if s != seed]


def rules(row: dict, seed: str) -> dict[str, int]:
    rec = row["seeds"][seed]
    k = row["k"]
    cs = curves(rec, seed)
    own = cs[0]
    pick = plateau(own["vi"], own["typical"], k)
    out = {"main": pick}
    # 1. the mean curve over the pipeline seed and the noise seeds (5 Leiden seeds)
    mean_vi = list(np.mean([c["vi"] for c in cs], axis=0))
    mean_typ = list(np.median([c["typical"] for c in cs], axis=0))
    out["mean5"] = plateau(mean_vi, mean_typ, k)
    # 1b. the mean of two curves (the pipeline seed and one more): what a product could pay
    mean2 = list(np.mean([c["vi"] for c in cs[:2]], axis=0))
    out["mean2"] = plateau(mean2, own["typical"], k)

    # 2. depth against noise: a finer pick only when its change is below 1x's by more than the
    # spread of the two over the seeds (the standard deviation of their difference, 5 seeds)
    def deep(spread_of):
        if pick == AT_BASE:
            return AT_BASE
        diffs = np.array([change(c["vi"], AT_BASE) - change(c["vi"], pick) for c in spread_of])
        margin = diffs.std(ddof=1) if len(diffs) > 1 else 0.0
        return pick if change(own["vi"], AT_BASE) - change(own["vi"], pick) > margin else AT_BASE

    out["depth5"] = deep(cs)
    # 2b. two seeds: the pick must beat 1x on both curves
    out["both2"] = pick if pick == AT_BASE or change(cs[1]["vi"], pick) < change(cs[1]["vi"], AT_BASE) else AT_BASE
    out["all5"] = (
        pick if pick == AT_BASE or all(change(c["vi"], pick) < change(c["vi"], AT_BASE) for c in cs) else AT_BASE
    )
    # 2c. every Leiden seed's curve, by refine's own rule, goes finer (5 seeds)
    out["agree5"] = pick if all(plateau(c["vi"], c["typical"], k) > AT_BASE for c in cs) else AT_BASE
    # 3. reproducibility: a finer pick only when its maps agree across two Leiden seeds at
    # least as well as the 1x maps do
    ari = rec["ari_seeds"]
    out["repro"] = pick if ari[pick] >= ari[AT_BASE] else AT_BASE
    out["repro_plateau"] = plateau(own["vi"], own["typical"], k, allowed=lambda i: ari[i] >= ari[AT_BASE])
    # 4. size: typical topic at least the texts' mutual-neighbour component
    floor = max(k, row["mutual"])
    out["mutual"] = plateau(own["vi"], own["typical"], floor)
    # 5. the split directions: no finer pick whose pieces share one direction across parents
    # more than the 1x map's own splits of the 0.5x map do
    cand = rec["cand"]
    half = (cand[str(AT_BASE)].get("directions_half") or {}).get("best_other")
    d = (cand[str(pick)].get("directions") or {}).get("best_other") if pick != AT_BASE else None
    out["directions"] = AT_BASE if (d is not None and half is not None and d > half) else pick
    # 6. nested: a finer pick only when it splits the 1x topics more than it regroups them
    if pick != AT_BASE:
        c = cand[str(pick)]
        out["nested"] = pick if c["regroup"] < c["split"] / 2 else AT_BASE
    else:
        out["nested"] = AT_BASE
    return out


def report(rows: list[dict]) -> None:
    from collections import defaultdict

    steps = [2 ** (i / 2) for i in range(-3, 6)]
    seeds = list(rows[0]["seeds"])
    names = list(rules(rows[0], seeds[0]))
    tally: dict = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    picks: dict = defaultdict(dict)
    for row in rows:
        for seed in seeds:
            rec = row["seeds"][seed]
            got = rules(row, seed)
            assert abs(steps[got["main"]] - rec["pick"]) < 1e-6, (row["name"], seed, got["main"], rec["pick"])
            base = set(rec["cand"][str(got["main"])]["missed"])
            for rule, i in got.items():
                miss = set(rec["cand"][str(i)]["missed"])
                tally[rule][seed][0] += len(miss - base)
                tally[rule][seed][1] += len(base - miss)
                picks[(row["name"], seed)][rule] = (steps[i], sorted(miss))
    print("rule: lost / gained against main's refine, per seed " + " ".join(seeds))
    for rule in names:
        print(f"  {rule:14s} " + "  ".join(f"{tally[rule][s][0]}/{tally[rule][s][1]}" for s in seeds))
    print()
    print("picks (multiple, goals missed) per row and seed:")
    for (name, seed), got in picks.items():
        print(
            f"  {name:24s} {seed:>3s} " + " | ".join(f"{r} {m:.2f}x {','.join(x) or '-'}" for r, (m, x) in got.items())
        )


def curves_table(rows: list[dict]) -> None:
    """Per row and seed, at 1x..4x: the mean VI to the two neighbours at the pipeline seed,
    its standard deviation over the five Leiden seeds, the ARI of two seeds' maps, the typical
    topic size and the topic count; the split directions' median best cosine across parents
    (1x against 0.5x, then each finer candidate against 1x); the mutual-neighbour component."""
    steps = [2 ** (i / 2) for i in range(-3, 6)]
    for row in rows:
        print(f"{row['name']} (n {row['n']}, k {row['k']}, intents {row['intents']}, mutual {row['mutual']:.0f})")
        for seed, rec in row["seeds"].items():
            cs = curves(rec, seed)
            ch = np.array([[change(c["vi"], i) for i in CANDIDATES] for c in cs])
            cand = rec["cand"]
            half = (cand[str(AT_BASE)].get("directions_half") or {}).get("best_other")
            dirs = [(cand[str(i)].get("directions") or {}).get("best_other") for i in CANDIDATES if i > AT_BASE]
            margin = [
                min(change(c["vi"], 1), change(c["vi"], 2)) - change(c["vi"], AT_BASE + int(np.argmin(r)))
                for c, r in zip(cs, ch)
            ]
            print(
                f"  seed {seed:>3s} pick {rec['pick']:.2f}x | coarse side's flattest less the finer side's "
                + " ".join(f"{m:.3f}" for m in margin)
                + " | change "
                + " ".join(f"{a:.3f}±{b:.3f}" for a, b in zip(ch[0], ch.std(axis=0, ddof=1)))
                + " | ari2 "
                + " ".join(f"{rec['ari_seeds'][i]:.2f}" for i in CANDIDATES)
                + " | typ "
                + " ".join(f"{cs[0]['typical'][i]:.0f}" for i in CANDIDATES)
                + " | topics "
                + " ".join(str(cs[0]["topics"][i]) for i in CANDIDATES)
                + " | dirs "
                + " ".join("-" if d is None else f"{d:.2f}" for d in [half, *dirs])
                + " | NMI "
                + " ".join(f"{cand[str(i)]['scores']['nmi']:.3f}" for i in CANDIDATES)
                + (
                    " | NMI intent x tone " + " ".join(f"{cand[str(i)]['nmi_intent_tone']:.3f}" for i in CANDIDATES)
                    if "nmi_intent_tone" in cand[str(AT_BASE)]
                    else ""
                )
                + " | missed "
                + " ".join(f"{steps[i]:.2f}x:{','.join(cand[str(i)]['missed']) or '-'}" for i in CANDIDATES)
            )
