"""Issue 13, the lexical view as the default: label-free rules for how far the words' TF-IDF
cosine may move a text's neighbours away from MiniLM's, on every data set, the stand-ins at
the given seeds and the tests' 88-conversation fixture (tests/fixtures/topics/support.jsonl,
4 requests x 22, wrapped in the same greetings and sign-offs). The product's path at the
default resolution: ``cluster_resolved`` + ``group_topics`` with the vectors; cached vectors.

Variants (``--variants``, comma-separated; share 0.5 unless ``lexNN`` says otherwise):
- raw: MiniLM alone (share 0);
- product: ``cluster.knn`` as it is (the words re-rank the vectors' 2 x max(k, n**0.4));
- full: the mixed similarity over all texts (the rule before: no candidate pool);
- rrF: the pool is F x k; rrnF: F x max(k, n**0.4) (rrn2 is the product's);
- sharp: the TF-IDF's idf without scikit-learn's +1 (ln((1+n)/(1+df)), as the sentence
  weights): terms in most texts weigh about 0;
- kappa: each term's column scaled by how far the texts holding it are each other's MiniLM
  neighbours beyond chance (a kappa over the k-neighbour pairs, clipped at 0);
- gfull: (with a pool rule) the groups' wider neighbourhood mixed over all texts.
Combine with ``+`` (e.g. ``lex50+sharp+rr2``). Per row: NMI / ARI against the fine labels,
the groups' NMI against the coarse ones, topics, unassigned, biggest; for the fixture, which
requests each topic holds.

    PYTHONPATH=. nice .venv/bin/python bench/topic_lexical_rules.py [cache_dir]
        [--variants raw,product,full] [--seeds 13,14] [--sets fixture,clinc150,...] [--cold]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from topics import scores, study_sets  # noqa: E402

from evaltui.store import Store  # noqa: E402
from evaltui.topics import cluster as C  # noqa: E402
from evaltui.topics import groups as G  # noqa: E402
from evaltui.topics import nearest as N  # noqa: E402
from evaltui.topics.embed import DEFAULT_MODEL  # noqa: E402
from evaltui.topics.represent import lexical, text_vectors  # noqa: E402

PRODUCT_KNN = N.knn
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "topics" / "support.jsonl"


def fixture() -> tuple[list[str], list[str], list[str]]:
    """The fixture's distinct first messages and their requests (as fine and coarse labels)."""
    texts, tags, seen = [], [], set()
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        span = json.loads(line)
        if span["span_type"] != "conversation":
            continue
        text = " ".join(next(m["content"] for m in span["input"] if m["role"] == "user").split())
        if text not in seen:
            seen.add(text)
            texts.append(text)
            tags.append(span["metadata"]["topic"])
    return texts, tags, tags


def _unit_rows(m):
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return (sp.diags(1 / np.where(norms > 0, norms, 1)).astype(np.float32) @ m).tocsr()


def sharp(texts):
    from sklearn.feature_extraction.text import CountVectorizer

    x = CountVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(texts).astype(np.float32).tocsr()
    df = np.bincount(x.indices, minlength=x.shape[1])
    x.data = 1 + np.log(x.data)
    return _unit_rows(x @ sp.diags(np.log((1 + x.shape[0]) / (1 + df)).astype(np.float32)))


def term_kappa(v, t, k):
    n = len(v)
    idx = PRODUCT_KNN(v, k)[0]
    x = (t > 0).astype(np.float32).tocsr()
    a = sp.csr_matrix((np.ones(idx.size, np.float32), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    both = np.asarray(x.multiply(a @ x).sum(axis=0)).ravel()
    df = np.asarray(x.sum(axis=0)).ravel()
    most = np.maximum(df * np.minimum(k, df - 1), 1)
    obs, exp = both / most, df * k * (df - 1) / (n - 1) / most
    return np.clip((obs - exp) / np.maximum(1 - exp, 1e-9), 0, 1)


def pooled_knn(pool_of):
    """``cluster.knn`` with another candidate pool (``pool_of(n, k)``)."""

    def knn(vectors, k, block=2048, lexical=None, share=0.5):
        if lexical is None:
            return PRODUCT_KNN(vectors, k, block)
        n = len(vectors)
        k = max(1, min(k, n - 1))
        m = max(k, min(n - 1, pool_of(n, k)))
        idx = np.empty((n, k), dtype=np.int64)
        sim = np.empty((n, k), dtype=np.float32)
        lt = lexical.T.tocsr()
        for start in range(0, n, block):
            vs = vectors[start : start + block] @ vectors.T
            rows = np.arange(start, min(start + block, n))
            vs[rows - start, rows] = -np.inf
            cand = np.argpartition(-vs, m - 1, axis=1)[:, :m]
            ls = (lexical[start : start + block] @ lt).toarray()
            mixed = (1 - share) * np.take_along_axis(vs, cand, 1) + share * np.take_along_axis(ls, cand, 1)
            part = np.argpartition(-mixed, k - 1, axis=1)[:, :k]
            vals = np.take_along_axis(mixed, part, 1)
            order = np.argsort(-vals, axis=1)
            idx[start : start + block] = np.take_along_axis(np.take_along_axis(cand, part, 1), order, 1)
            sim[start : start + block] = np.take_along_axis(vals, order, 1)
        return idx, sim

    return knn


def run(var: str, v, texts, fine, coarse):
    k = N.neighbours(len(v), C.ClusterParams().n_neighbors)
    share, view, knn = 0.5, None, PRODUCT_KNN
    for part in var.split("+"):
        if part.startswith("lex"):
            share = int(part[3:]) / 100
        elif part == "raw":
            share = 0.0
        elif part == "full":
            knn = pooled_knn(lambda n, k: n)
        elif part.startswith("rrn"):
            knn = pooled_knn(lambda n, k, f=float(part[3:]): round(f * max(k, round(n**0.4))))
        elif part.startswith("rr"):
            knn = pooled_knn(lambda n, k, f=float(part[2:]): round(f * k))
    t0 = time.process_time()
    if share > 0:
        view = sharp(texts) if "sharp" in var else lexical(texts)
        if "kappa" in var:
            view = _unit_rows(view @ sp.diags(term_kappa(v, view, k).astype(np.float32)))
    N.knn = knn
    try:
        labels, graph, _ = C.cluster_resolved(v, C.ClusterParams(lexical_share=share), view)
        if "gfull" in var:
            N.knn = pooled_knn(lambda n, k: n)
        group_of = G.group_topics(graph, labels, v, view, share)
    finally:
        N.knn = PRODUCT_KNN
    groups = np.where(labels >= 0, group_of[np.maximum(labels, 0)], -1)
    out = scores(labels, fine, coarse, groups)
    out["cpu"] = time.process_time() - t0
    return out, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", nargs="?", default="/tmp/topic_grid")
    parser.add_argument("--variants", default="raw,product,full")
    parser.add_argument("--seeds", default="13,14", help="stand-in draws")
    parser.add_argument("--sets", default="", help="only these (names as printed)")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="embed each set into an empty store of its own, as bench/topics.py does (int8 MiniLM quantises "
        "its activations per batch, so a text's vector depends on the texts batched with it: a stand-in "
        "embedded on its own differs a little from the same texts cut out of the full set's cache)",
    )
    args = parser.parse_args()
    sets = [("fixture", fixture)] + study_sets(args.seeds)
    if args.sets:
        sets = [(n, f) for n, f in sets if n in args.sets.split(",")]
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    print(
        "set | variant | NMI | ARI | groups' coarse NMI (groups) | topics | unassigned | biggest | CPU s (clustering)"
    )
    with Store(Path(args.cache) / "cache.duckdb") as shared:
        for name, loader in sets:
            texts, fine, coarse = loader()
            if args.cold:
                with tempfile.TemporaryDirectory(prefix="lexical-rules-") as tmp, Store(Path(tmp) / "c.duckdb") as own:
                    vectors, _ = text_vectors(own, texts, DEFAULT_MODEL)
            else:
                vectors, _ = text_vectors(shared, texts, DEFAULT_MODEL)
            for var in args.variants.split(","):
                s, labels = run(var, vectors, texts, fine, coarse)
                line = (
                    f"{name} | {var} | {s['nmi']:.3f} | {s['ari']:.3f} | {s['nmi_coarse']:.3f} ({s['groups']}) | "
                    f"{s['topics']} | {s['unassigned']:.1%} | {s['biggest']:.1%} | {s['cpu']:.1f}"
                )
                if name == "fixture":
                    tags = np.array(fine)
                    line += " | " + "; ".join(
                        f"{c}: "
                        + ", ".join(
                            f"{t} {(tags[labels == c] == t).sum()}"
                            for t in sorted(set(fine))
                            if (tags[labels == c] == t).any()
                        )
                        for c in sorted(set(labels.tolist()))
                    )
                print(line, flush=True)


if __name__ == "__main__":
    main()
