"""refine's plateau under normalised measures of change (issue 13, session 31): one run of Leiden,
every rule scored.

`refine` keeps, among 0.5x..4x of 0.0075, the map with the smallest mean variation of information
(VI) to its two neighbours on 0.35x..5.66x, never coarser than 1x, among maps whose typical text
sits in a topic at least as large as its neighbourhood. Raw VI grows with the maps' entropy, so
the same share of texts moving costs a fine map more than a coarse one. This script makes the
nine maps once per row and pipeline seed, exactly as `refine` does, records each neighbouring
pair's entropies, mutual information and ARI, scores every candidate (and its groups) against
bench/topics.py's goals, then lets each rule pick from the records: so many rules cost one run.

    PYTHONPATH=. nice .venv/bin/python bench/topic_refine_norm.py CACHE_DIR 42,1,2 --json OUT
    PYTHONPATH=. nice .venv/bin/python bench/topic_refine_norm.py CACHE_DIR 42,1,2 --json OUT --cold 7
    PYTHONPATH=. .venv/bin/python bench/topic_refine_norm.py --rules OUT [--markdown]

``--cold SEED``: each row embedded afresh in its own store under CACHE_DIR, its texts in a
seeded order (the int8 vectors move with the batch a sentence is encoded in): another draw of
the vectors, as a user's data would have.

Per pair (a, b) of neighbouring maps (unassigned texts one cluster, as `variation_of_information`):
H(a), H(b), H(a,b), I(a;b), ARI. Rules (each with refine's typical-size stop and 1x floor unless
named otherwise) minimise the mean over the two neighbouring pairs of:
  vi        H(a)+H(b)-2I (main's rule)
  vi_joint  VI / H(a,b)       (Meila's normalised VI, a metric in [0, 1])
  vi_sum    VI / (H(a)+H(b))  (= 1 - NMI with the arithmetic mean)
  nmi_max   1 - I / max(H(a), H(b))
  nmi_sqrt  1 - I / sqrt(H(a) H(b))
  ari       1 - ARI
  nonnest   2 min(H(a|b), H(b|a)): VI less the part a pure split or merge must cost
  nonnest_j nonnest / H(a,b)
(VI / log n is VI times a constant per row: the same picks as vi, not listed.)
Suffixes: ``_max``: the larger of the two pairs instead of their mean; ``_confirm_vi``: a finer
pick kept only when raw VI, too, finds it changing less than 1x; ``_nofloor`` drops the 1x floor;
``_nostop`` drops the typical-size stop. Goals lost / gained are counted against main's rule
(``vi``) on the same records. bench/RESULTS.md "refine's plateau under normalised measures".
"""

import argparse
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402

BASE = 0.0075


def pair(a: np.ndarray, b: np.ndarray) -> dict:
    """Entropies, mutual information and ARI of two labellings (nats; -1 one cluster)."""
    from sklearn.metrics import adjusted_rand_score

    a = a - a.min()
    b = b - b.min()
    n = len(a)
    joint = np.bincount(a * (int(b.max()) + 1) + b) / n

    def h(p: np.ndarray) -> float:
        p = p[p > 0]
        return float(-(p * np.log(p)).sum())

    ha, hb, hab = h(np.bincount(a) / n), h(np.bincount(b) / n), h(joint)
    return {"ha": ha, "hb": hb, "hab": hab, "mi": ha + hb - hab, "ari": float(adjusted_rand_score(a, b))}


MEASURES = {
    "vi": lambda p: p["ha"] + p["hb"] - 2 * p["mi"],
    "vi_joint": lambda p: (p["ha"] + p["hb"] - 2 * p["mi"]) / p["hab"],
    "vi_sum": lambda p: (p["ha"] + p["hb"] - 2 * p["mi"]) / (p["ha"] + p["hb"]),
    "nmi_max": lambda p: 1 - p["mi"] / max(p["ha"], p["hb"]),
    "nmi_sqrt": lambda p: 1 - p["mi"] / math.sqrt(p["ha"] * p["hb"]),
    "ari": lambda p: 1 - p["ari"],
    "nonnest": lambda p: 2 * min(p["hab"] - p["hb"], p["hab"] - p["ha"]),
    "nonnest_j": lambda p: 2 * min(p["hab"] - p["hb"], p["hab"] - p["ha"]) / p["hab"],
}


def change(rec: dict, measure: str, agg: str = "mean") -> list[float]:
    """Each step's change towards its two neighbours (index 0 and the last: nan)."""
    steps = [MEASURES[measure](p) for p in rec["pairs"]]
    two = max if agg == "max" else (lambda a, b: (a + b) / 2)
    return [float("nan")] + [two(steps[i - 1], steps[i]) for i in range(1, len(steps))] + [float("nan")]


def pick(rec: dict, measure: str, floor: bool = True, stop: bool = True, agg: str = "mean", confirm: str = "") -> int:
    """The step index a rule keeps (as ``cluster.refine``, with ``measure`` for the VI; ``agg``:
    the two neighbours' mean or the larger; ``confirm``: a finer pick is kept only when that
    measure, too, finds it changing less than 1x)."""
    ch = change(rec, measure, agg)
    at_base, k = rec["at_base"], rec["k"]
    inner = range(1, len(rec["typical"]) - 1)
    whole = [i for i in inner if not stop or rec["typical"][i] >= k] or [at_base]
    best = min(whole, key=lambda i: ch[i])
    best = max(at_base, best) if floor else best
    if confirm and best > at_base:
        other = change(rec, confirm, agg)
        if other[best] > other[at_base]:
            return at_base
    return best


def rules() -> dict:
    out: dict = {m: (m, True, True) for m in MEASURES}
    for m in ("vi", "vi_joint", "vi_sum", "nmi_max"):
        out[f"{m}_max"] = (m, True, True, "max")
    for m in ("vi_joint", "vi_sum", "nmi_max"):
        out[f"{m}_confirm_vi"] = (m, True, True, "mean", "vi")
    for m in ("vi", "vi_joint", "vi_sum", "nmi_max", "ari", "nonnest_j"):
        out[f"{m}_nofloor"] = (m, False, True)
    for m in ("vi", "vi_joint", "vi_sum"):
        out[f"{m}_nostop"] = (m, True, False)
    out["vi_max_nofloor"] = ("vi", False, True, "max")
    out["vi_max_nostop"] = ("vi", True, False, "max")
    return out


def measure(args) -> None:
    from topic_refine import missed
    from topics import scores, study_sets

    from evaltui.store import Store
    from evaltui.topics import cluster as C
    from evaltui.topics import groups as G
    from evaltui.topics import nearest as N
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.represent import lexical, text_vectors

    seeds = [int(s) for s in args.seeds.split(",")]
    out: list = []
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets("13,14", only=args.only):
            texts, fine, coarse = loader()
            if args.cold is None:
                vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
            else:
                # another draw of the int8 vectors (they move with the batch a sentence is
                # encoded in): this row alone, in a fresh store, its texts in a seeded order
                path = Path(args.cache) / f"cold-{args.cold}-{name}.duckdb"
                path.unlink(missing_ok=True)
                perm = np.random.default_rng(args.cold).permutation(len(texts))
                with Store(path) as cold:
                    shuffled, _ = text_vectors(cold, [texts[i] for i in perm], DEFAULT_MODEL)
                vectors = np.empty_like(shuffled)
                vectors[perm] = shuffled
            view = lexical(texts)
            params = C.ClusterParams()
            n = len(vectors)
            k = N.neighbours(n, params.n_neighbors)
            keep = N.NEAR_KEPT * N.CANDIDATES * max(k, round(n**0.4))
            idx, sim, near = N.search(vectors, k, lexical=view, share=params.lexical_share, keep=keep)
            graph = C.fuzzy_graph(idx, sim)
            graph.near = near
            at_base = C.REFINE_STEPS.index(1.0)
            for seed in seeds:
                t0 = time.process_time()
                maps, typical = C.maps_at(
                    vectors,
                    graph,
                    idx,
                    [m * BASE for m in C.REFINE_STEPS],
                    seed,
                    [-1 if i == at_base else C.REFINE_ITERATIONS for i in range(len(C.REFINE_STEPS))],
                )
                t_maps = time.process_time() - t0
                # the working tree's own pick, to check the records reproduce the maps it chose from
                res, labels = C.refine(vectors, graph, idx, BASE, seed)
                rec = {
                    "name": name,
                    "seed": seed,
                    "n": n,
                    "k": k,
                    "at_base": at_base,
                    "typical": typical,
                    "topics": [int(len(set(m.tolist()) - {-1})) for m in maps],
                    "pairs": [pair(maps[i], maps[i + 1]) for i in range(len(maps) - 1)],
                    "refine_step": C.REFINE_STEPS.index(min(C.REFINE_STEPS, key=lambda s: abs(s * BASE - res))),
                    "cpu_maps": t_maps,
                    "cand": {},
                }
                assert np.array_equal(labels, maps[rec["refine_step"]]), (name, seed)
                for i in range(1, len(maps) - 1):
                    g = G.group_topics(graph, maps[i], vectors, view, params.lexical_share)
                    groups = np.where(maps[i] >= 0, g[np.maximum(maps[i], 0)], -1)
                    s = scores(maps[i], fine, coarse, groups)
                    rec["cand"][str(i)] = {"scores": s, "missed": missed(name, s, list(fine))}
                out.append(rec)
                picks = {r: pick(rec, *spec) for r, spec in rules().items()}
                print(
                    f"{name:24s} seed {seed:2d} load {os.getloadavg()[0]:.1f} tree's refine {C.REFINE_STEPS[rec['refine_step']]:.2f}x "
                    + " ".join(f"{r}={C.REFINE_STEPS[p]:.2f}" for r, p in picks.items() if r in MEASURES),
                    flush=True,
                )
                if args.json:
                    Path(args.json).write_text(json.dumps(out))


def report(args) -> None:
    steps = tuple(2 ** (i / 2) for i in range(-3, 6))
    recs = [r for f in args.rules.split(",") for r in json.loads(Path(f).read_text())]
    seeds = list(dict.fromkeys(r["seed"] for r in recs))
    names = list(dict.fromkeys(r["name"] for r in recs))
    by = {(r["name"], r["seed"]): r for r in recs}
    summary = []
    for rule, spec in rules().items():
        lost = {s: 0 for s in seeds}
        gained = {s: 0 for s in seeds}
        lines = []
        for name in names:
            cells = []
            for s in seeds:
                r = by.get((name, s))
                if r is None:
                    cells.append("-")
                    continue
                p = pick(r, *spec)
                base, new = r["cand"][str(pick(r, "vi"))], r["cand"][str(p)]  # against main's rule
                lo = sorted(set(new["missed"]) - set(base["missed"]))
                ga = sorted(set(base["missed"]) - set(new["missed"]))
                lost[s] += len(lo)
                gained[s] += len(ga)
                sc = new["scores"]
                cell = f"{steps[p]:.2f}x {sc['nmi']:.3f}/{sc['ari']:.3f}/g{sc['nmi_coarse']:.3f}"
                if lo:
                    cell += " **-" + ",".join(lo) + "**"
                if ga:
                    cell += " +" + ",".join(ga)
                cells.append(cell)
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        clinc = [
            by[("clinc150", s)]["cand"][str(pick(by[("clinc150", s)], *spec))]["scores"]["nmi"]
            for s in seeds
            if ("clinc150", s) in by
        ]
        tot = " ".join(f"{lost[s]}/{gained[s]}" for s in seeds)
        summary.append(f"| {rule} | {tot} | {' / '.join(f'{x:.4f}' for x in clinc)} |")
        if args.markdown and (not args.only or rule in args.only.split(",")):
            print(f"\n#### {rule}: lost/gained against main's refine per seed ({', '.join(map(str, seeds))}): {tot}\n")
            print("| row | " + " | ".join(f"seed {s}: pick NMI/ARI/groups" for s in seeds) + " |")
            print("|---|" + "---|" * len(seeds))
            print("\n".join(lines))
    print(f"\n| rule | lost/gained at seeds {' / '.join(map(str, seeds))} | CLINC150 NMI per seed |")
    print("|---|---|---|")
    print("\n".join(summary))
    if args.curves:
        for name in args.curves.split(","):
            for s in seeds:
                r = by.get((name, s))
                if r is None:
                    continue
                print(f"\n{name} seed {s}: topics {r['topics']} typical {[round(t) for t in r['typical']]} k {r['k']}")
                for m in MEASURES:
                    st = [MEASURES[m](p) for p in r["pairs"]]
                    mean = [(st[i - 1] + st[i]) / 2 for i in range(1, len(st))]
                    print(
                        f"  {m:10s} pairs "
                        + " ".join(f"{x:.3f}" for x in st)
                        + " | mean "
                        + " ".join(f"{x:.3f}" for x in mean)
                    )
                print(
                    "  NMI at steps 1..7: "
                    + " ".join(f"{r['cand'][str(i)]['scores']['nmi']:.3f}" for i in range(1, 8))
                    + " | missed: "
                    + "; ".join(",".join(r["cand"][str(i)]["missed"]) or "-" for i in range(1, 8))
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", nargs="?", default="")
    parser.add_argument("seeds", nargs="?", default="42,1,2")
    parser.add_argument("--json", default="")
    parser.add_argument("--only", default="", help="rows (measure) or rules (--rules --markdown)")
    parser.add_argument("--rules", default="", help="comma-separated JSON files of a measuring run")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument(
        "--cold", type=int, default=None, help="embed each row afresh (own store, texts in this seed's order)"
    )
    parser.add_argument("--curves", default="", help="with --rules: rows whose curves to print")
    args = parser.parse_args()
    if args.rules:
        report(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
