"""Where evaltui's cold topic-map CPU goes, stage by stage, per data set (issue 13).

.venv/bin/python bench/topic_stages.py [MODEL] [bitext,clinc150,sample_logs]
"""

import os
import sys
import time
import tempfile
import json
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings

warnings.filterwarnings("ignore")
import igraph  # noqa: E402, F401 - imported before any clock
import numpy as np  # noqa: E402
import sklearn.metrics  # noqa: E402
from topics import load  # noqa: E402
from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import groups as G  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import load_model, embed_texts  # noqa: E402
from evaltui.topics.represent import SentenceWeights, sentences, combine  # noqa: E402
from evaltui.topics.label import keywords, readable_names  # noqa: E402

model_id = sys.argv[1] if len(sys.argv) > 1 else "all-MiniLM-L6-v2"
m = load_model(model_id)
tok = load_model("all-MiniLM-L6-v2").tokenizer


class T:
    def __init__(s):
        s.c = time.process_time()
        s.w = time.perf_counter()
        s.out = {}

    def lap(s, k):
        c, w = time.process_time(), time.perf_counter()
        s.out[k] = (round(c - s.c, 2), round(w - s.w, 2))
        s.c, s.w = c, w


res = {}
for name in sys.argv[2].split(",") if len(sys.argv) > 2 else ("bitext", "clinc150", "sample_logs"):
    texts, fine, coarse = load(name)
    t = T()
    w = SentenceWeights.fit(texts)
    unique = list(dict.fromkeys(s for x in texts for s in sentences(x)))
    t.lap("split+weights")
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "b.duckdb") as store:
        mat = embed_texts(store, unique, model_id)
        t.lap("embed")
    vec = combine(texts, w, dict(zip(unique, mat)))
    t.lap("combine")
    n = len(vec)
    k = N.neighbours(n, 15)
    idx, sim = N.knn(vec, k)
    t.lap("knn")
    g = C.fuzzy_graph(idx, sim)
    t.lap("fuzzy")
    ig_ = C.as_igraph(g)
    t.lap("igraph")
    lab = C.relabel(C.leiden(ig_, 0.0075, 42))
    t.lap("leiden")
    lab = np.where(C.outliers(vec, lab, idx), -1, lab)
    t.lap("outliers")
    labels, graph, _ = C.cluster_resolved(vec)
    t.lap("cluster_resolved(all again)")
    grp = G.group_topics(graph, labels)
    t.lap("groups")
    kk = int(labels.max()) + 1
    keywords(texts, labels.tolist(), kk)
    t.lap("keywords")
    readable_names(texts, vec, labels, kk, w)
    t.lap("names")
    ntok = [len(tok.tokenize(s)) + 2 for s in unique]
    ttok = [len(tok.tokenize(s)) + 2 for s in texts]
    nmi = sklearn.metrics.normalized_mutual_info_score(fine, labels)
    ari = sklearn.metrics.adjusted_rand_score(fine, labels)
    res[name] = {
        "texts": len(texts),
        "unique_sentences": len(unique),
        "sent_tokens": sum(ntok),
        "max_sent_tok": max(ntok),
        "p99_sent_tok": int(np.percentile(ntok, 99)),
        "text_tokens": sum(ttok),
        "max_text_tok": max(ttok),
        "nmi": round(nmi, 3),
        "ari": round(ari, 3),
        "stages_cpu_wall": t.out,
    }
    print(name, json.dumps(res[name]), flush=True)
print(os.getloadavg())
