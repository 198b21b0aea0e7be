"""Topic-map quality and speed on every labelled data set we have, next to BERTopic, in one run.

    .venv/bin/python bench/topics.py [--data bitext,bitext_gpt35,clinc150,sample_logs] [--no-bertopic]
        [--model all-MiniLM-L6-v2-int8] [--also-model all-MiniLM-L6-v2] [--standins [NAMES]] [--standin-seed 13]

Data, read at run time: ../shared/data/bitext (two files, each 27 intents in 11 categories:
``bitext``, 4,514 customer messages, and ``bitext_gpt35``, 6,480), ../shared/data/clinc150
(5,500 requests, 150 intents in 10 domains plus 1,000 out-of-scope), and the sample logs'
first customer messages (the generator's ``metadata.intent`` and ``metadata.topic`` tags;
distinct messages only). ``--data ''`` runs none of them (with ``--standins``: only those).

Stand-ins (``--standins``, after the data sets): NOT new data. Subsets of the same shared
data, drawn by a fixed seed (STANDIN_SEED), sized like the public sets our figures will be
re-checked on (a banking-support set, 3,080 texts / 77 intents; an assistant-commands set,
1,076 texts / 64 intents), so a reader sees how the default and the chosen resolution
behave on smaller, differently shaped data: see STANDINS. Each gets evaltui (default and
``--resolution auto``) and BERTopic's defaults (two fits, as below), with the same goals;
BERTopic's warm timing and its run at evaltui's cluster size are skipped there. They are printed in their own
table, labelled as stand-ins.

Per data set, on the same texts and the same MiniLM (evaltui's default is its int8 form,
quantised when it loads; BERTopic gets the float model, its own default; ``--model`` picks
evaltui's, ``--also-model`` adds a cold run of evaltui's default pipeline with another model):
- evaltui: its topic pipeline with its one default (sentence-weighted vectors, neighbour
  graph, Leiden), cold (empty embedding cache) and warm, plus its clustering alone at half
  and twice its resolution, so a reader sees how much hangs on that one setting, and with
  the resolution chosen from the data (``--resolution auto``: ``cluster.plateau``),
  warm, with the seconds that choice adds (wall and CPU) and the goals it would meet;
- BERTopic with its defaults (UMAP + HDBSCAN, min_cluster_size 10), fitted twice (cold, then
  warm with the embeddings given): its UMAP is unseeded by default, so each fit is a draw, and
  its figures (and the goals' line) are the two draws' mean, both printed; and again with the
  smallest topic size evaltui produced as its min_cluster_size. BERTopic's one-time numba
  compilation is two warm-up fits (300 texts; 4,200 random vectors, for UMAP's pynndescent
  path above 4,096 texts) before anything is timed, reported apart.
  Imports (torch, sentence-transformers, bertopic, igraph) are done before any clock: timed
  on neither side. Warm is compared with warm: BERTopic's second fit (embeddings given).
Scores: NMI and ARI of the topics against the fine labels (unassigned counted as one
cluster), NMI of evaltui's groups and of BERTopic's topics against the coarse labels, topic
count, biggest topic, unassigned share; for CLINC150, where the out-of-scope requests went.
Times: wall clock and CPU time (``time.process_time``: all threads of this process, user +
system) for each side, since a shared machine inflates wall time but not CPU time; the goal
is checked on both. Both sides run with ``OMP_WAIT_POLICY=PASSIVE``, as evaltui's own
commands do (``embed.load_model`` sets it before torch loads): set here before torch is
imported, since OpenMP reads it once; spinning threads would count their wait as CPU time.
Models are loaded (and the int8 one quantised) before any clock, on both sides; the
quantisation's seconds are printed apart.
Prints a table per data set, the goals of issue 13 met or not, then one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"
DATASETS = ("bitext", "bitext_gpt35", "clinc150", "sample_logs")
BITEXT_FILES = {"bitext": "bitext_customer_support_4514.csv", "bitext_gpt35": "bitext_customer_support_gpt35_6480.csv"}
STANDIN_SEED = 13
LEXICAL_SHARE = 0.5  # --lexical-share (ClusterParams' default; main() reads it from there)
STANDINS = {  # name: (what it is drawn from and how, the public set it stands in for)
    "clinc150_77x30": ("CLINC150 in-scope: 77 random intents, all 30 texts each", "banking-support, 3,080 / 77"),
    "clinc150_64x17_oos": (
        "CLINC150: 64 random intents x 17 random texts, plus 15% of its out-of-scope requests",
        "assistant-commands, 1,076 / 64",
    ),
    "bitext_3080": ("Bitext 4,514: 3,080 random texts", "banking-support, 3,080 / 77"),
    "bitext_1076": ("Bitext 4,514: 1,076 random texts", "assistant-commands, 1,076 / 64"),
    "sample_logs_1000": ("sample logs: 1,000 random distinct first messages", "either, ~1,000 texts"),
}


def load(name: str) -> tuple[list[str], list[str], list[str]]:
    """(texts, fine labels, coarse labels)."""
    if name in BITEXT_FILES:
        with open(SHARED / "bitext" / BITEXT_FILES[name], newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return [r["instruction"] for r in rows], [r["intent"] for r in rows], [r["category"] for r in rows]
    if name == "clinc150":
        with open(SHARED / "clinc150" / "clinc150_test.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        return [r["text"] for r in rows], [r["intent"] for r in rows], [r["domain"] for r in rows]
    if name == "sample_logs":
        texts, fine, coarse = [], [], []
        for text, meta in first_messages():
            texts.append(text)
            fine.append(meta["intent"])
            coarse.append(meta["topic"])
        return texts, fine, coarse
    raise SystemExit(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")


def first_messages():
    """The sample logs' distinct first customer messages, each with its conversation's
    generator metadata (``intent``, ``topic``, ``tone``), in file order."""
    seen = set()
    with open(ROOT / "sample_logs" / "support_bot.jsonl", encoding="utf-8") as fh:
        for line in fh:
            span = json.loads(line)
            if span.get("span_type") != "conversation":
                continue
            text = next((m["content"] for m in span["input"] if m.get("role") == "user"), None)
            if text and text not in seen:
                seen.add(text)
                yield text, span["metadata"]


def load_standin(name: str, seed: int = STANDIN_SEED) -> tuple[list[str], list[str], list[str]]:
    """A stand-in (see STANDINS): a seeded subset of a shared data set, as (texts, fine, coarse)."""
    import random

    if name not in STANDINS:
        raise SystemExit(f"unknown stand-in {name!r}; choose from {', '.join(STANDINS)}")
    rng = random.Random(f"{seed}:{name}")
    if name.startswith("clinc150_"):
        texts, fine, coarse = load("clinc150")
        by_intent: dict[str, list[int]] = {}
        for i, f in enumerate(fine):
            by_intent.setdefault(f, []).append(i)
        oos = by_intent.pop("oos")
        n_intents, per = (77, 30) if name == "clinc150_77x30" else (64, 17)
        keep = [i for f in rng.sample(sorted(by_intent), n_intents) for i in rng.sample(by_intent[f], per)]
        if name.endswith("_oos"):
            keep += rng.sample(oos, round(0.15 * len(oos)))
    else:
        base, size = name.rsplit("_", 1)
        texts, fine, coarse = load(base)
        keep = rng.sample(range(len(texts)), int(size))
    keep.sort()
    return [texts[i] for i in keep], [fine[i] for i in keep], [coarse[i] for i in keep]


def study_sets(seeds: str, data=DATASETS, standins=STANDINS, only: str = "") -> list:
    """(name, loader) for each data set and each stand-in at each of the comma-separated
    ``seeds`` (named ``stand-in@seed``), as the study scripts run them; ``only``: these names."""
    sets = [(d, lambda d=d: load(d)) for d in data if d]
    sets += [
        (f"{s}@{seed}", lambda s=s, seed=int(seed): load_standin(s, seed))
        for seed in seeds.split(",")
        for s in standins
        if s
    ]
    return [(n, f) for n, f in sets if n in only.split(",")] if only else sets


def scores(labels, fine, coarse, groups=None) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels, fine = np.asarray(labels), np.asarray(fine)
    out = {
        "nmi": normalized_mutual_info_score(fine, labels),
        "ari": adjusted_rand_score(fine, labels),
        "nmi_coarse": normalized_mutual_info_score(coarse, labels if groups is None else groups),
        "topics": int(len(set(labels.tolist()) - {-1})),
        "biggest": float(np.bincount(labels[labels >= 0]).max() / len(labels)) if (labels >= 0).any() else 0.0,
        "unassigned": float(np.mean(labels == -1)),
        "smallest_topic": int(np.bincount(labels[labels >= 0]).min()) if (labels >= 0).any() else 0,
    }
    oos = fine == "oos"
    if oos.any():
        placed = labels[oos][labels[oos] >= 0]
        out["oos_unassigned"] = float(np.mean(labels[oos] == -1))
        out["oos_largest_share"] = float(np.bincount(placed).max() / oos.sum()) if len(placed) else 0.0
    if groups is not None:
        out["groups"] = int(len(set(np.asarray(groups).tolist()) - {-1}))
    return out


def run_evaltui(store, texts, params=None, model_id=None) -> tuple[dict, dict]:
    import numpy as np

    from evaltui.topics.cluster import ClusterParams, cluster_resolved
    from evaltui.topics.groups import group_topics
    from evaltui.topics.embed import DEFAULT_MODEL
    from evaltui.topics.label import keywords, readable_names
    from evaltui.topics.represent import lexical, text_vectors

    params = params or ClusterParams(lexical_share=LEXICAL_SHARE)
    model_id = model_id or DEFAULT_MODEL
    t = {}
    c0 = time.process_time()
    t0 = time.perf_counter()
    vectors, weights = text_vectors(store, texts, model_id)
    t["embed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    view = lexical(texts) if params.lexical_share > 0 else None
    labels, graph, chosen = cluster_resolved(vectors, params, view)
    group_of = group_topics(graph, labels, vectors, view, params.lexical_share)
    t["cluster"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    k = int(labels.max()) + 1
    keywords(texts, labels.tolist(), k)
    readable_names(texts, vectors, labels, k, weights)
    t["label"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    t["cpu"] = time.process_time() - c0
    groups = np.where(labels >= 0, group_of[np.maximum(labels, 0)], -1)
    return {"labels": labels, "groups": groups, "resolution": chosen}, t


def run_bertopic(model, texts, embeddings=None, min_cluster_size=None) -> tuple[list[int], dict, object]:
    from bertopic import BERTopic
    from hdbscan import HDBSCAN

    t = {}
    c0 = time.process_time()
    t0 = time.perf_counter()
    if embeddings is None:
        embeddings = model.encode(texts, show_progress_bar=False)  # as BERTopic's backend: batch 32
    t["embed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kwargs = {}
    if min_cluster_size:
        kwargs["hdbscan_model"] = HDBSCAN(
            min_cluster_size=min_cluster_size, metric="euclidean", cluster_selection_method="eom", prediction_data=True
        )
    labels, _ = BERTopic(embedding_model=model, **kwargs).fit_transform(texts, embeddings)
    t["fit"] = time.perf_counter() - t0
    t["total"] = t["embed"] + t["fit"]
    t["cpu"] = time.process_time() - c0
    return list(labels), t, embeddings


def goals(e: dict, b: dict, fine: list[str]) -> dict[str, bool]:
    inscope = [f for f in fine if f != "oos"]
    largest_class = max(Counter(inscope).values()) / len(fine)
    out = {
        "NMI >= BERTopic + 0.03": e["nmi"] >= b["nmi"] + 0.03,
        "ARI >= BERTopic": e["ari"] >= b["ari"],
        "biggest <= 2x largest class + 5 pts": e["biggest"] <= 2 * largest_class + 0.05,
        "unassigned <= BERTopic + 5 pts": e["unassigned"] <= b["unassigned"] + 0.05,
        "group NMI (coarse) >= BERTopic + 0.05": e["nmi_coarse"] >= b["nmi_coarse"] + 0.05,
        "time cold <= 0.5x BERTopic (wall)": e["time"]["total"] <= 0.5 * b["time"]["total"],
        "time cold <= 0.5x BERTopic (CPU)": e["time"]["cpu"] <= 0.5 * b["time"]["cpu"],
    }
    if "oos_largest_share" in e:
        out["out-of-scope: no topic holds > 10% of it"] = e["oos_largest_share"] <= 0.10
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=",".join(DATASETS), help="Comma-separated: " + ", ".join(DATASETS))
    parser.add_argument("--no-bertopic", action="store_true", help="Only evaltui's pipeline.")
    parser.add_argument(
        "--lexical-share",
        type=float,
        default=None,
        help="evaltui's ClusterParams.lexical_share (the word TF-IDF cosine's weight in the neighbour search; "
        "default: ClusterParams' own).",
    )
    parser.add_argument(
        "--standins",
        nargs="?",
        const=",".join(STANDINS),
        default=None,
        help="Also run the stand-ins (seeded subsets of the shared data, not new data), all or comma-separated: "
        + ", ".join(STANDINS),
    )
    parser.add_argument(
        "--standin-seed", type=int, default=STANDIN_SEED, help=f"Seed of the stand-ins' draws (default {STANDIN_SEED})."
    )
    parser.add_argument("--model", default=None, help="evaltui's embedding model id (default: the pipeline's).")
    parser.add_argument(
        "--also-model", default=None, help="Also run evaltui cold with this model id (e.g. all-MiniLM-L6-v2)."
    )
    args = parser.parse_args()
    global LEXICAL_SHARE
    from evaltui.topics.cluster import ClusterParams

    LEXICAL_SHARE = ClusterParams().lexical_share if args.lexical_share is None else args.lexical_share
    if LEXICAL_SHARE:
        print(
            f"evaltui: MiniLM's candidate neighbours re-ranked by (1 - {LEXICAL_SHARE}) x MiniLM cosine"
            f" + {LEXICAL_SHARE} x word TF-IDF cosine"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: see the module docstring
    warnings.filterwarnings("ignore")

    t0 = time.perf_counter()
    import igraph  # noqa: F401 - imports are timed on neither side
    import sklearn.metrics  # noqa: F401 - evaltui's resolution choice scores partitions with it
    import torch

    from evaltui.topics.embed import BASE_MODEL, DEFAULT_MODEL, load_model

    model = load_model(BASE_MODEL)  # BERTopic's MiniLM (the float one, its default); loading is not timed
    ours = args.model or DEFAULT_MODEL
    figures: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "cpu_threads": torch.get_num_threads(),
        "data": {},
        "model": ours,
        "also_model": args.also_model,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "load_s": {},
    }
    for m in dict.fromkeys([ours] + ([args.also_model] if args.also_model else [])):
        c1, t1 = time.process_time(), time.perf_counter()
        load_model(m)
        figures["load_s"][m] = {"wall": time.perf_counter() - t1, "cpu": time.process_time() - c1}
    print(
        f"evaltui embeds with {ours}; BERTopic with {BASE_MODEL}; OMP_WAIT_POLICY={figures['omp_wait_policy']}; "
        "model loads (not timed on either side): "
        + ", ".join(f"{m} {v['cpu']:.1f} s CPU" for m, v in figures["load_s"].items())
    )
    if not args.no_bertopic:
        import bertopic

        figures["bertopic_version"] = bertopic.__version__
        # UMAP finds neighbours exactly below 4,096 texts and with pynndescent above, and
        # numba compiles each path on first use: warm both (the large one on random vectors,
        # so no embedding is spent on it); else the first data set above 4,096 texts pays it.
        import numpy as np

        warm = load("bitext")[0]
        rng = np.random.default_rng(0)
        noise = rng.standard_normal((4200, 384)).astype(np.float32)
        t1 = time.perf_counter()
        run_bertopic(model, warm[:300])
        run_bertopic(model, warm[:4200], embeddings=noise / np.linalg.norm(noise, axis=1, keepdims=True))
        figures["bertopic_compile_s"] = time.perf_counter() - t1
    figures["imports_s"] = time.perf_counter() - t0

    for name in [n for n in args.data.split(",") if n]:
        figures["data"][name] = row = bench_set(*load(name), model, ours, args, standin=False)
        print_row(name, row)
    standins = [n for n in (args.standins or "").split(",") if n]
    if standins:
        figures["standins"] = {"seed": args.standin_seed, "sets": {}}
        print(
            f"\n#### STAND-INS: not new data. Seeded subsets (seed {args.standin_seed}) of ../shared/data and the sample logs, "
            "sized like the public sets we do not have; BERTopic's two fits, cold times only (no run at evaltui's size)"
        )
        for name in standins:
            row = bench_set(*load_standin(name, args.standin_seed), model, ours, args, standin=True)
            row["drawn"], row["stands_in_for"] = STANDINS[name]
            figures["standins"]["sets"][name] = row
            print_row(f"stand-in {name}", row)
    print_summary("data sets", figures["data"])
    if standins:
        print_summary(
            f"STAND-INS (seeded subsets of shared data, seed {args.standin_seed}; not new data)",
            figures["standins"]["sets"],
        )
    for key, what in (
        ("goals", "default resolution"),
        ("goals_auto", "resolution auto"),
        ("goals_also", f"with {args.also_model}"),
    ):
        sets = {
            **figures["data"],
            **{f"stand-in {n}": r for n, r in figures.get("standins", {}).get("sets", {}).items()},
        }
        met = {n: all(r[key].values()) for n, r in sets.items() if key in r}
        if met:
            print(
                f"\nall goals met ({what}): {', '.join(n for n, ok in met.items() if ok) or 'none'}; "
                f"not: {', '.join(n for n, ok in met.items() if not ok) or 'none'}"
            )
    if "bertopic_compile_s" in figures:
        print(
            f"BERTopic's one-time numba compilation (warm-up fits on 300 texts and on 4,200 random vectors): {figures['bertopic_compile_s']:.1f}s, not counted"
        )
    print(json.dumps(figures, default=float))


def bench_set(texts, fine, coarse, model, ours, args, standin: bool) -> dict:
    """One data set's row: evaltui (default, half, twice, auto) and BERTopic, in one process."""
    from evaltui.store import Store
    from evaltui.topics.cluster import ClusterParams

    row: dict = {
        "texts": len(texts),
        "fine_labels": len(set(fine) - {"oos"}),
        "coarse_labels": len(set(coarse) - {"oos"}),
        # the goal's limit on the biggest topic: twice the largest true class + 5 points
        "biggest_limit": 2 * max(Counter(f for f in fine if f != "oos").values()) / len(fine) + 0.05,
    }
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as store:
        out, cold = run_evaltui(store, texts, model_id=ours)
        _, warm_t = run_evaltui(store, texts, model_id=ours)
        e = {**scores(out["labels"], fine, coarse, out["groups"]), "time": cold, "warm": warm_t}
        e["topics_coarse_nmi"] = scores(out["labels"], fine, coarse)["nmi_coarse"]
        e["resolution"] = out["resolution"]
        for label, factor in (("half", 0.5), ("twice", 2.0)):
            alt, _ = run_evaltui(
                store,
                texts,
                ClusterParams(resolution=out["resolution"] * factor, refine=False, lexical_share=LEXICAL_SHARE),
                model_id=ours,
            )
            e[f"at_{label}_resolution"] = scores(alt["labels"], fine, coarse, alt["groups"])
        auto, auto_t = run_evaltui(
            store, texts, ClusterParams(resolution=None, lexical_share=LEXICAL_SHARE), model_id=ours
        )
        e["auto"] = {
            **scores(auto["labels"], fine, coarse, auto["groups"]),
            "resolution": auto["resolution"],
            "added_s": auto_t["total"] - warm_t["total"],
            "added_cpu_s": auto_t["cpu"] - warm_t["cpu"],
        }
        e["auto"]["time"] = {
            "total": cold["total"] + e["auto"]["added_s"],
            "cpu": cold["cpu"] + e["auto"]["added_cpu_s"],
        }
        if args.also_model and not standin:
            other, other_t = run_evaltui(store, texts, model_id=args.also_model)
            e["also"] = {
                **scores(other["labels"], fine, coarse, other["groups"]),
                "time": other_t,
                "model": args.also_model,
            }
    row["evaltui"] = e
    if not args.no_bertopic:
        labels, bt, emb = run_bertopic(model, texts)
        # BERTopic's defaults leave UMAP unseeded: each fit is a draw (CLINC150's NMI 0.798-0.805
        # over one machine's runs). Its second fit (the warm one, embeddings given) is a second
        # draw of the same defaults; the goals are checked against the two draws' mean.
        labels_2, bt_warm, _ = run_bertopic(model, texts, embeddings=emb)
        draws = [scores(labels, fine, coarse), scores(labels_2, fine, coarse)]
        mean = {key: (v + draws[1][key]) / 2 for key, v in draws[0].items()}
        mean = {key: round(v) if isinstance(draws[0][key], int) else v for key, v in mean.items()}
        b = {**mean, "time": bt, "draws": draws}
        row["bertopic"] = b
        row["time_cold_ratio"] = cold["total"] / bt["total"]
        row["cpu_cold_ratio"] = cold["cpu"] / bt["cpu"]
        row["cpu_cold_ratio_auto"] = e["auto"]["time"]["cpu"] / bt["cpu"]
        if not standin:
            b["warm"] = bt_warm
            same_size = max(2, e["smallest_topic"])
            labels_s, _, _ = run_bertopic(model, texts, embeddings=emb, min_cluster_size=same_size)
            row["bertopic_same_size"] = {**scores(labels_s, fine, coarse), "min_cluster_size": same_size}
            row["time_warm_ratio"] = warm_t["total"] / bt_warm["total"]
            row["cpu_warm_ratio"] = warm_t["cpu"] / bt_warm["cpu"]
        row["goals"] = goals(e, b, fine)
        row["goals_auto"] = goals(e["auto"], b, fine)
        if "also" in e:
            row["goals_also"] = goals(e["also"], b, fine)
            row["cpu_cold_ratio_also"] = e["also"]["time"]["cpu"] / bt["cpu"]
    return row


SHORT = {  # goal -> its short name in the summary tables
    "NMI >= BERTopic + 0.03": "NMI",
    "ARI >= BERTopic": "ARI",
    "biggest <= 2x largest class + 5 pts": "biggest",
    "unassigned <= BERTopic + 5 pts": "unassigned",
    "group NMI (coarse) >= BERTopic + 0.05": "groups",
    "time cold <= 0.5x BERTopic (wall)": "wall",
    "time cold <= 0.5x BERTopic (CPU)": "CPU",
    "out-of-scope: no topic holds > 10% of it": "oos",
}


def print_summary(title: str, rows: dict) -> None:
    """One markdown row per set: evaltui at the default resolution, at ``auto``, and BERTopic's defaults."""
    if not rows:
        return
    print(f"\n{title}: evaltui default / evaltui auto / BERTopic defaults")
    print(
        "| set | texts / fine / coarse | NMI | ARI | groups' coarse NMI (BT: topics) | topics | biggest (limit) "
        "| unassigned | CPU s cold | goals missed: default | goals missed: auto |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        e, a, b = r["evaltui"], r["evaltui"]["auto"], r.get("bertopic")
        sides = [e, a] + ([b] if b else [])

        def cell(key: str, fmt: str, sides: list = sides) -> str:
            return " / ".join(fmt.format(d[key]) for d in sides)

        limit = f" ({r['biggest_limit']:.1%})"
        missed = [
            ", ".join(SHORT.get(g, g) for g, ok in r.get(k, {}).items() if not ok) or ("none" if k in r else "-")
            for k in ("goals", "goals_auto")
        ]
        cpu = " / ".join(f"{d['time']['cpu']:.1f}" for d in sides)
        print(
            f"| {name} | {r['texts']:,} / {r['fine_labels']} / {r['coarse_labels']} | {cell('nmi', '{:.3f}')} "
            f"| {cell('ari', '{:.3f}')} | {cell('nmi_coarse', '{:.3f}')} | {cell('topics', '{:d}')} "
            f"| {cell('biggest', '{:.1%}')}{limit} | {cell('unassigned', '{:.1%}')} | {cpu} | {missed[0]} | {missed[1]} |"
        )


def print_row(name: str, row: dict) -> None:
    e, b, s = row["evaltui"], row.get("bertopic"), row.get("bertopic_same_size")
    a = e["auto"]
    print(
        f"\n== {name}: {row['texts']:,} texts, {row['fine_labels']} fine labels, {row['coarse_labels']} coarse; "
        f"resolution {e['resolution']:.5f}, auto {a['resolution']:.5f} (adds {a['added_s']:.1f} s wall, "
        f"{a['added_cpu_s']:.1f} s CPU)"
    )
    cols = [
        ("evaltui", e),
        ("at 1/2 res", e["at_half_resolution"]),
        ("at 2x res", e["at_twice_resolution"]),
        ("res auto", a),
    ]
    if b:
        cols += [("BERTopic", b)] + ([(f"BT mcs={s['min_cluster_size']}", s)] if s else [])
    print(f"{'':26s}" + "".join(f"{c:>14s}" for c, _ in cols))
    rows = [
        ("NMI (fine)", "nmi", "{:.3f}"),
        ("ARI (fine)", "ari", "{:.3f}"),
        ("NMI coarse (groups | BT)", "nmi_coarse", "{:.3f}"),
        ("topics", "topics", "{:d}"),
        ("groups", "groups", "{:d}"),
        ("biggest topic", "biggest", "{:.1%}"),
        ("unassigned", "unassigned", "{:.1%}"),
        ("out-of-scope unassigned", "oos_unassigned", "{:.1%}"),
        ("out-of-scope in one topic", "oos_largest_share", "{:.1%}"),
    ]
    for title, key, fmt in rows:
        if key not in e:
            continue
        print(f"{title:26s}" + "".join(f"{fmt.format(d[key]) if key in d else '-':>14s}" for _, d in cols))
    if b:
        print(
            f"{'time cold s (embed+fit)':26s}{e['time']['embed']:>7.1f}+{e['time']['cluster'] + e['time']['label']:<6.1f}"
            f"{'':28s}{b['time']['embed']:>7.1f}+{b['time']['fit']:<6.1f}"
        )
        if "warm" in b:
            print(f"{'time warm s':26s}{e['warm']['total']:>14.1f}{'':28s}{b['warm']['total']:>14.1f}")
            print(
                f"{'CPU s cold | warm':26s}{e['time']['cpu']:>7.1f}|{e['warm']['cpu']:<6.1f}{'':28s}{b['time']['cpu']:>7.1f}|{b['warm']['cpu']:<6.1f}"
            )
            print(
                f"time cold x{row['time_cold_ratio']:.2f}, warm x{row['time_warm_ratio']:.2f} of BERTopic's (wall clock)"
            )
            print(f"CPU time cold x{row['cpu_cold_ratio']:.2f}, warm x{row['cpu_warm_ratio']:.2f} of BERTopic's")
        else:
            print(f"{'CPU s cold':26s}{e['time']['cpu']:>14.1f}{'':28s}{b['time']['cpu']:>14.1f}")
            print(f"time cold x{row['time_cold_ratio']:.2f} (wall), CPU x{row['cpu_cold_ratio']:.2f} of BERTopic's")
        d1, d2 = b["draws"]
        print(
            f"BERTopic's two fits (defaults, UMAP unseeded; the column above is their mean, the goals' line): "
            f"NMI {d1['nmi']:.4f} / {d2['nmi']:.4f}, ARI {d1['ari']:.3f} / {d2['ari']:.3f}, "
            f"coarse NMI {d1['nmi_coarse']:.3f} / {d2['nmi_coarse']:.3f}, topics {d1['topics']} / {d2['topics']}, "
            f"unassigned {d1['unassigned']:.1%} / {d2['unassigned']:.1%}"
        )
        print("goals: default resolution | resolution auto (its cold time: the default's + the seconds it adds)")
        for goal, ok in row["goals"].items():
            print(f"  [{'x' if ok else ' '}] [{'x' if row['goals_auto'][goal] else ' '}] {goal}")
    if "also" in e:
        o = e["also"]
        print(
            f"with {o['model']} instead (default resolution, cold): NMI {o['nmi']:.3f}, ARI {o['ari']:.3f}, "
            f"groups {o['nmi_coarse']:.3f}, {o['topics']} topics, biggest {o['biggest']:.1%}, unassigned {o['unassigned']:.1%}, "
            f"CPU {o['time']['cpu']:.1f} s (embed {o['time']['embed']:.1f} s wall), wall {o['time']['total']:.1f} s"
        )
        if b:
            print(
                f"  CPU time cold x{row['cpu_cold_ratio_also']:.2f} of BERTopic's; goals not met: "
                f"{', '.join(g for g, ok in row['goals_also'].items() if not ok) or 'none'}"
            )


if __name__ == "__main__":
    main()
