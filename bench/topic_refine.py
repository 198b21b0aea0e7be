"""refine by default (issue 13 item 1, session 29): main's map against this branch's, judged.

Quality: on every shared set and the stand-ins (draws 13 and 14), at the given pipeline seeds,
the map and groups of main's ``cluster.py`` at REF (loaded from git into this process) against
the working tree's defaults, scored with bench/topics.py's goals (BERTopic's figures of
topic_scale.py and topic_group_rules.py); goals lost / gained per seed.

    PYTHONPATH=. nice .venv/bin/python bench/topic_refine.py CACHE_DIR 42,1,2 [--json OUT] [--ref 33b8c9a]

CPU: ``--timing SETS``: main's fixed map, this tree's fixed map and its refine (the default),
alternating, ``cluster_resolved`` + ``group_topics``, medians of ``--rounds`` (``--variants``:
some of them). Each quality row also says whether REF's map and groups and the tree's are the
same labels exactly (``same`` / ``DIFFERENT``).
"""

import argparse
import json
import os
import subprocess
import sys
import time
import types
import warnings
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
from topic_group_rules import BT_COARSE  # noqa: E402
from topic_scale import BERTOPIC  # noqa: E402
from topics import scores, study_sets  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics.groups import group_topics  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import lexical, text_vectors  # noqa: E402


def reference(ref: str) -> types.ModuleType:
    """``evaltui/topics/cluster.py`` at git ``ref``, as a module."""
    src = subprocess.run(
        ["git", "show", f"{ref}:evaltui/topics/cluster.py"], capture_output=True, text=True, check=True
    ).stdout
    mod = types.ModuleType("reference_cluster")
    sys.modules["reference_cluster"] = mod
    exec(compile(src, "reference_cluster", "exec"), mod.__dict__)
    return mod


def missed(name: str, s: dict, fine: list) -> list[str]:
    nmi, ari, unassigned = BERTOPIC[name]
    largest = max(Counter(f for f in fine if f != "oos").values()) / len(fine)
    out = []
    if s["nmi"] < nmi + 0.03:
        out.append("nmi")
    if s["ari"] < ari:
        out.append("ari")
    if s["biggest"] > 2 * largest + 0.05:
        out.append("biggest")
    if s["unassigned"] > unassigned + 0.05:
        out.append("unassigned")
    if s.get("oos_largest_share", 0) > 0.10:
        out.append("oos")
    if s["nmi_coarse"] < BT_COARSE[name] + 0.05:
        out.append("groups")
    return out


def run(mod, vectors, view, params):
    c = time.process_time()
    labels, graph, resolution = mod.cluster_resolved(vectors, params, view)
    t = time.process_time() - c
    c = time.process_time()
    grouping = getattr(mod, "group_topics", None) or group_topics  # a cluster.py before the groups had a module
    g = grouping(graph, labels, vectors, view, params.lexical_share)
    return labels, np.where(labels >= 0, g[np.maximum(labels, 0)], -1), resolution, t, time.process_time() - c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache")
    parser.add_argument("seeds", nargs="?", default="42,1,2")
    parser.add_argument("--json", default="")
    parser.add_argument("--ref", default="33b8c9a")
    parser.add_argument("--only", default="")
    parser.add_argument("--timing", default="", help="comma-separated sets: CPU instead of quality")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", default="main,fixed,refine", help="with --timing: which of main,fixed,refine")
    args = parser.parse_args()
    old = reference(args.ref)
    with Store(Path(args.cache) / "cache.duckdb") as store:
        if args.timing:
            variants = {"main": (old, {}), "fixed": (C, {"refine": False}), "refine": (C, {"refine": True})}
            variants = {k: v for k, v in variants.items() if k in args.variants.split(",")}
            for name, loader in study_sets("13", only=args.timing):
                texts, _, _ = loader()
                vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
                view = lexical(texts)
                res: dict = {k: [] for k in variants}
                for _ in range(args.rounds):
                    for key, (mod, kw) in variants.items():
                        _, _, _, t1, t2 = run(mod, vectors, view, mod.ClusterParams(**kw))
                        res[key].append((t1, t2))
                print(
                    name,
                    f"load {os.getloadavg()[0]:.1f}",
                    " | ".join(
                        f"{k}: map {np.median([a for a, _ in x]):.2f} groups {np.median([b for _, b in x]):.2f} "
                        f"total {np.median([a + b for a, b in x]):.2f}"
                        for k, x in res.items()
                    ),
                    flush=True,
                )
            return
        out = []
        sets = [(n, f()) for n, f in study_sets("13,14", only=args.only)]
        for seed in [int(s) for s in args.seeds.split(",")]:
            lost = gained = 0
            for name, (texts, fine, coarse) in sets:
                vectors, _ = text_vectors(store, texts, DEFAULT_MODEL)
                view = lexical(texts)
                la, ga, _, ta, ua = run(old, vectors, view, old.ClusterParams(seed=seed))
                lb, gb, rb, tb, ub = run(C, vectors, view, C.ClusterParams(seed=seed))
                sa, sb = scores(la, fine, coarse, ga), scores(lb, fine, coarse, gb)
                ma, mb = missed(name, sa, fine), missed(name, sb, fine)
                lo, ga_ = sorted(set(mb) - set(ma)), sorted(set(ma) - set(mb))
                lost += len(lo)
                gained += len(ga_)
                row = {"seed": seed, "name": name, "main": sa, "new": sb, "main_missed": ma, "new_missed": mb}
                out.append(
                    {**row, "lost": lo, "gained": ga_, "multiple": rb / 0.0075, "cpu_main": ta + ua, "cpu_new": tb + ub}
                )
                same = np.array_equal(la, lb) and np.array_equal(ga, gb)
                out[-1]["identical"] = same
                print(
                    f"{'same' if same else 'DIFFERENT'} map and groups | "
                    f"seed {seed} {name:24s} main {sa['nmi']:.3f}/{sa['ari']:.3f}/g{sa['nmi_coarse']:.3f} {ma} | "
                    f"new {rb / 0.0075:.2f}x {sb['nmi']:.3f}/{sb['ari']:.3f}/g{sb['nmi_coarse']:.3f} {mb} | "
                    f"lost {lo} gained {ga_} | cpu {ta + ua:.2f}->{tb + ub:.2f}",
                    flush=True,
                )
            print(f"seed {seed}: lost {lost} gained {gained}", flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
