"""Issue 13 item 2, the groups level: label-free rules for the topic-to-topic affinity and the
grouping, on every set with coarse labels (Bitext, Bitext gpt35, CLINC150, the sample logs and
the stand-ins at seeds 13 and 14), at lexical shares 0 and 0.5. The topics are the pipeline's
(``cluster_resolved`` at the default resolution, pipeline seed 42, on cached int8 vectors); only
the grouping changes. Each cell: the groups' NMI against the coarse labels (unassigned texts one
cluster, as bench/topics.py scores it) and the number of groups; a row's goal is BERTopic's
topics' coarse NMI + 0.05 (BERTopic's figures from the runs of record, see ``BT_COARSE``).

Rules (``--rules``, comma-separated; "sqrt" = modularity at the coarsest resolution giving at
least sqrt(k) groups, the medoid of 16 seeds, as ``group_topics``):
- today: ``cluster.group_topics`` without vectors (the text graph collapsed to topics, self-links dropped, sqrt);
- loops: the same with the topics' self-links kept (modularity of the texts' graph, restricted
  to unions of topics), sqrt;
- wideK: the between-topic links from a wider text neighbourhood (K = the median topic size, a
  fuzzy graph on the same similarity), collapsed, sqrt;
- runner: each text votes for its nearest other topic centroid (the topic it would join were
  its own gone), weighted by that cosine; symmetrised; sqrt;
- runner3: the same with its 3 nearest other topics;
- cknn: the centroids' fuzzy graph with k^0.4 nearest topics (``fuzzy_graph``), sqrt;
- cfull: the centroids' full cosine graph (cosines above the median of all pairs kept,
  minus that median), sqrt;
- ccfull: as cfull on centred centroids (the mean centroid taken off);
- avg / ward / cavg: average linkage (cosine) / Ward on the centroids / average linkage on
  centred centroids, cut at round(sqrt(k)) groups;
- avggap: average linkage on centred centroids cut at the largest gap in merge heights
  between 2 and k/2 groups (the number of groups from the data);
- ctf: average linkage on the mean of the centroids' cosine and the topics' c-TF-IDF cosine
  (``represent.lexical`` rows summed per topic), at sqrt(k);
- textctf: today's collapsed text graph plus the topics' c-TF-IDF k^0.4-nearest fuzzy graph
  (each normalised to sum 1), sqrt;
- vecgraph: today's rule on the MiniLM-only graph when the topics came from the lexical one;
- mv: today's rule on the mean of the MiniLM-only and the lexical-only fuzzy graphs;
- mix / todayrunner / todayccfull: the mean of those topic graphs (each normalised to sum
  1), sqrt;
- wide2K: as wideK with K = twice the median topic size;
- agree / agree3: topics grouped together by more than half / three quarters of four views'
  groupings (today, wideK, runner, ccfull; each sqrt), connected components (the number of
  groups from the data);
- agree-nowide: as agree without the wider neighbourhood (today, runner, ccfull; 2 of 3), which
  saves the extra neighbour search;
- product: ``cluster.group_topics`` with the vectors (the product's rule, "agree");
- (topics), (oracle): references, not rules: the topics themselves, and each topic put in its
  majority coarse label;
- res1: modularity at resolution 1 on today's topic graph (the medoid of 16), the rule before.

Session 28 (``X``-prefixed, ``extra``): one reading grouped sqrt (Xtoday, Xwide, XwideF: the
wider neighbourhood with full lexical mixing, the words ranking neighbours over all texts;
Xrunner, Xccfull, Xctf: the topics' c-TF-IDF of the lexical view, cosines above their median;
Xcctf: the same centred; XctfL: ``label.c_tf_idf``, stop words dropped), or an agreement of
readings (``AGREEMENTS``: agree = today, wide, runner, ccfull; agree5 adds ctf; agreeC puts
ctf for ccfull; agreeF wideF for wide; agree6 = agree5 + wideF; ...) joined where more than
half agree, with suffixes -hi (more than 0.7: all but one of 5 or 6), -all (every reading),
-ge (half or more), -r1 (each reading at modularity 1, no sqrt(k) floor), -avg (average
linkage on the co-association, merged while above half), -mod (the co-association as a
weighted graph, sqrt). ``product`` on the branch issue-13groups2 is Xagree5-hi.

Session 29 (``M``-prefixed, ``scaled``): M<scales>x<seeds>s<step>t<share>: each of the five
readings at ``group_resolution`` x 2^(j x step) for j < scales, ``seeds`` Leiden seeds each,
topics joined by average linkage on the share of all runs that put them together while that
mean share is >= share. ``product`` on the branch issue-13groups3 is M4x4s0.75t0.5.

    PYTHONPATH=. nice .venv/bin/python bench/topic_group_rules.py CACHE_DIR [--shares 0,0.5]
        [--seeds 13,14] [--sets NAME,...] [--rules today,loops,...] [--pipeline-seed 42]
"""

from __future__ import annotations

import argparse
import os
import sys
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

# BERTopic's topics' coarse NMI: the quiet run of record of main (2026-12-07 14:18, data sets
# and stand-ins @13) and the seed-14 stand-in run (2026-12-07 03:35); BERTopic moves 0.01-0.03
# between runs.
BT_COARSE = {
    "bitext": 0.598,
    "bitext_gpt35": 0.580,
    "clinc150": 0.514,
    "sample_logs": 0.414,
    "clinc150_77x30@13": 0.622,
    "clinc150_64x17_oos@13": 0.620,
    "bitext_3080@13": 0.634,
    "bitext_1076@13": 0.725,
    "sample_logs_1000@13": 0.451,
    "clinc150_77x30@14": 0.632,
    "clinc150_64x17_oos@14": 0.621,
    "bitext_3080@14": 0.609,
    "bitext_1076@14": 0.760,
    "sample_logs_1000@14": 0.452,
}
RUNS = 16
ALL = "today,loops,wideK,runner,runner3,cknn,cfull,ccfull,avg,ward,cavg,avggap,ctf,textctf,vecgraph,mv,res1"


def collapse(graph, labels, k, loops=False):
    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (np.flatnonzero(member), labels[member])), shape=(len(labels), k))
    b = (s.T @ graph @ s).tocsr()
    if not loops:
        b.setdiag(0)
    b.eliminate_zeros()
    return b


def sqrt_rule(b):
    g = C.as_igraph(sp.csr_matrix(b))
    resolution = G.group_resolution(g, b.shape[0])
    return G.most_agreed([C.leiden(g, resolution, s, objective="modularity") for s in range(RUNS)])


def at_res1(b):
    g = C.as_igraph(sp.csr_matrix(b))
    return G.most_agreed([C.leiden(g, 1.0, s, objective="modularity") for s in range(RUNS)])


def norm(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(n > 0, n, 1.0)


def linkage_cut(x, method, n_groups=None, metric="cosine"):
    from scipy.cluster.hierarchy import fcluster, linkage

    z = linkage(x, method, metric=metric) if method != "ward" else linkage(x, "ward")
    if n_groups is None:  # the largest gap in merge heights, between 2 and k/2 groups
        k = len(x)
        h = z[:, 2]
        # cutting between merge i-1 and i leaves k - i groups
        lo, hi = 2, max(2, k // 2)
        cands = [i for i in range(1, len(h)) if lo <= k - i <= hi]
        i = max(cands, key=lambda i: h[i] - h[i - 1]) if cands else len(h) - 1
        n_groups = k - i
    return fcluster(z, n_groups, "maxclust") - 1


def full_graph(cents):
    sims = cents @ cents.T
    np.fill_diagonal(sims, np.nan)
    med = np.nanmedian(sims)
    w = np.nan_to_num(sims - med, nan=0.0)
    w[w < 0] = 0.0
    return sp.csr_matrix(w)


def runner(vectors, labels, cents, m):
    k = len(cents)
    member = np.flatnonzero(labels >= 0)
    sims = vectors[member] @ cents.T
    sims[np.arange(len(member)), labels[member]] = -np.inf
    top = np.argsort(-sims, axis=1)[:, :m]
    rows = np.repeat(labels[member], m)
    cols = top.ravel()
    vals = np.maximum(np.take_along_axis(sims, top, axis=1).ravel(), 0)
    a = sp.csr_matrix((vals, (rows, cols)), shape=(k, k))
    return (a + a.T).tocsr()


def ctfidf(lex, labels, k):
    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (np.flatnonzero(member), labels[member])), shape=(len(labels), k))
    t = (s.T @ lex).toarray()
    return norm(t)


def fuzzy_of(x, m):
    idx, sim = N.knn(x.astype(np.float32), m)
    return C.fuzzy_graph(idx, sim)


def knn_full(vectors, k, lex, share, block=2048):
    """Each text's k nearest by (1 - share) x the vectors' cosine + share x the lexical one,
    ranked over all texts (no candidate pool: "full mixing")."""
    n = len(vectors)
    k = max(1, min(k, n - 1))
    idx = np.empty((n, k), dtype=np.int64)
    sim = np.empty((n, k), dtype=np.float32)
    lt = lex.T.tocsr()
    for start in range(0, n, block):
        sims = vectors[start : start + block] @ vectors.T
        sims = (1.0 - share) * sims + share * (lex[start : start + block] @ lt).toarray()
        rows = np.arange(start, min(start + block, n))
        sims[rows - start, rows] = -np.inf
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(sims, part, axis=1)
        order = np.argsort(-vals, axis=1)
        idx[start : start + block] = np.take_along_axis(part, order, axis=1)
        sim[start : start + block] = np.take_along_axis(vals, order, axis=1)
    return idx, sim


def class_tfidf(lex, labels, k):
    """The topics' c-TF-IDF from the texts' TF-IDF rows: rows summed per topic, each term's
    share of its topic times log(1 + mean topic mass / the term's mass over all topics),
    L2-normalised (words common to every topic sink, words some topics share rise)."""
    member = labels >= 0
    s = sp.csr_matrix((np.ones(int(member.sum())), (labels[member], np.flatnonzero(member))), shape=(k, len(labels)))
    counts = np.asarray((s @ lex).todense(), dtype=np.float64)
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-12)
    idf = np.log(1.0 + counts.sum() / k / np.maximum(counts.sum(axis=0), 1e-12))
    return norm(tf * idf)


def agreement(parts, cut=0.5):
    from scipy.sparse.csgraph import connected_components

    parts = np.array(parts)
    co = (parts[:, :, None] == parts[:, None, :]).mean(0)
    np.fill_diagonal(co, 0.0)
    return connected_components(sp.csr_matrix(co > cut), directed=False)[1]


def reading(name, ctx):
    """A topic graph (k x k) by name, cached per map."""
    key = ("graph", name)
    if key in ctx["cache"]:
        return ctx["cache"][key]
    vec, lex, share, labels, k = ctx["vec"], ctx["lex"], ctx["share"], ctx["labels"], ctx["k"]
    wide = int(max(ctx["kn"], np.median(ctx["sizes"])))
    if name == "today":
        b = collapse(ctx["graph"], labels, k)
    elif name == "wide":
        idx, sim = N.knn(vec, wide, lexical=lex if share > 0 else None, share=share)
        b = collapse(C.fuzzy_graph(idx, sim), labels, k)
    elif name == "wideF":  # full mixing: the words rank neighbours over all texts
        idx, sim = knn_full(vec, wide, lex, share if share > 0 else 0.5)
        b = collapse(C.fuzzy_graph(idx, sim), labels, k)
    elif name == "runner":
        b = runner(vec, labels, ctx["cents"], 1)
    elif name == "ccfull":
        b = full_graph(ctx["ccents"])
    elif name == "ctf":  # c-TF-IDF of the lexical view, cosines above their median
        b = full_graph(class_tfidf(lex, labels, k))
    elif name == "cctf":  # the same, centred
        t = class_tfidf(lex, labels, k)
        b = full_graph(norm(t - t.mean(axis=0)))
    elif name == "ctfL":  # label.c_tf_idf (stop words dropped, as the topics' keywords)
        from evaltui.topics.label import c_tf_idf

        t, _ = c_tf_idf(ctx["texts"], labels.tolist(), k)
        b = full_graph(norm(t))
    else:
        raise SystemExit(f"unknown reading {name}")
    ctx["cache"][key] = b
    return b


def grouped(name, ctx, mode="sqrt"):
    key = ("groups", name, mode)
    if key not in ctx["cache"]:
        b = reading(name, ctx)
        ctx["cache"][key] = sqrt_rule(b) if mode == "sqrt" else at_res1(b)
    return ctx["cache"][key]


AGREEMENTS = {
    "agree": ("today", "wide", "runner", "ccfull"),
    "agree5": ("today", "wide", "runner", "ccfull", "ctf"),
    "agree5L": ("today", "wide", "runner", "ccfull", "ctfL"),
    "agreeC": ("today", "wide", "runner", "ctf"),
    "agreeF": ("today", "wideF", "runner", "ccfull"),
    "agreeF5": ("today", "wideF", "runner", "ccfull", "ctf"),
    "agreeFC": ("today", "wideF", "runner", "ctf"),
    "agreeFW": ("today", "wide", "wideF", "runner", "ccfull"),
    "agree6": ("today", "wide", "wideF", "runner", "ccfull", "ctf"),
    "agree6L": ("today", "wide", "wideF", "runner", "ccfull", "ctfL"),
    "agree5F": ("today", "wide", "wideF", "runner", "ccfull"),
    "agree6c": ("today", "wide", "runner", "ccfull", "ctf", "cctf"),
    "agree6w": ("today", "wide", "runner", "ccfull", "ctf", "ctfL"),
}


def extra(rule, ctx):
    """Session 28's rules: X<reading> (one reading, sqrt), X<agreement>[-r1|-ge]: the
    readings' groupings joined where more than half agree (-r1: each reading at modularity 1,
    no sqrt(k) floor; -ge: half or more)."""
    name = rule[1:]
    mode, cut, how = "sqrt", 0.5, "cc"
    if name.endswith("-r1"):
        name, mode = name[:-3], "r1"
    if name.endswith("-ge"):
        name, cut = name[:-3], 0.49
    if name.endswith("-hi"):  # 4 of 5, 5 of 6
        name, cut = name[:-3], 0.7
    if name.endswith("-all"):  # every reading
        name, cut = name[:-4], 0.99
    if name.endswith("-avg"):  # average linkage on the co-association, merged while above half
        name, how = name[:-4], "avg"
    if name.endswith("-mod"):  # the co-association as a weighted graph, sqrt
        name, how = name[:-4], "mod"
    if name in AGREEMENTS:
        parts = [grouped(r, ctx, mode) for r in AGREEMENTS[name]]
        if how == "cc":
            return agreement(parts, cut)
        p = np.array(parts)
        co = (p[:, :, None] == p[:, None, :]).mean(0)
        np.fill_diagonal(co, 0.0)
        if how == "mod":
            return sqrt_rule(sp.csr_matrix(co))
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        d = 1.0 - co
        np.fill_diagonal(d, 0.0)
        z = linkage(squareform(d, checks=False), "average")
        return fcluster(z, 0.5 - 1e-9, "distance") - 1
    return grouped(name, ctx, mode)


def scaled(rule, ctx):
    """Session 29's rules, ``M<scales>x<seeds>s<step>t<share>`` (e.g. M4x4s0.75t0.5, the
    product's on the branch issue-13groups3): each of the five readings (``AGREEMENTS
    ["agree5"]``) grouped by modularity at ``group_resolution`` x 2^(j x step), j < scales,
    ``seeds`` seeds each; topics joined by average linkage on the share of all those runs that
    put two topics together, while the mean share is at least ``share``."""
    import re

    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    m = re.fullmatch(r"M(\d+)x(\d+)s([0-9.]+)t([0-9.]+)", rule)
    if not m:
        raise SystemExit(f"unknown rule {rule}")
    scales, seeds, step, share = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    parts = []
    for name in AGREEMENTS["agree5"]:
        g = C.as_igraph(sp.csr_matrix(reading(name, ctx)))
        base = G.group_resolution(g, ctx["k"])
        parts += [
            C.leiden(g, base * 2 ** (j * step), s, objective="modularity") for j in range(scales) for s in range(seeds)
        ]
    p = np.array(parts)
    apart = 1.0 - (p[:, :, None] == p[:, None, :]).mean(0)
    np.fill_diagonal(apart, 0.0)
    return fcluster(linkage(squareform(apart, checks=False), "average"), 1.0 - share, "distance") - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", nargs="?", default="/tmp/topic_grid")
    parser.add_argument("--shares", default="0,0.5")
    parser.add_argument("--seeds", default="13,14", help="stand-in draws")
    parser.add_argument("--sets", default="")
    parser.add_argument("--rules", default=ALL)
    parser.add_argument("--pipeline-seed", type=int, default=42)
    args = parser.parse_args()
    rules = args.rules.split(",")
    shares = [float(x) for x in args.shares.split(",")]
    print("set | share | topics | goal | " + " | ".join(rules), flush=True)
    met = {(r, s): 0 for r in rules for s in shares}
    total = {s: 0 for s in shares}
    with Store(Path(args.cache) / "cache.duckdb") as store:
        for name, loader in study_sets(args.seeds, only=args.sets):
            texts, fine, coarse = loader()
            vec, _ = text_vectors(store, texts, DEFAULT_MODEL)
            lex = lexical(texts)
            goal = BT_COARSE.get(name, float("nan")) + 0.05
            n = len(vec)
            kn = N.neighbours(n, 15)
            vec_graph = C.fuzzy_graph(*N.knn(vec, kn))
            for share in shares:
                params = C.ClusterParams(seed=args.pipeline_seed, lexical_share=share)
                labels, graph, _ = C.cluster_resolved(vec, params, lex)
                k = int(labels.max()) + 1
                cents = C.centroids(vec, labels)
                ccents = norm(cents - cents.mean(axis=0))
                sizes = np.bincount(labels[labels >= 0], minlength=k)
                mt = max(3, round(k**0.4))
                ctx = {
                    "vec": vec,
                    "lex": lex,
                    "share": share,
                    "labels": labels,
                    "graph": graph,
                    "k": k,
                    "cents": cents,
                    "ccents": ccents,
                    "sizes": sizes,
                    "kn": kn,
                    "texts": texts,
                    "cache": {},
                }
                cells = []
                for rule in rules:
                    t0 = time.process_time()
                    if rule == "today":
                        g = G.group_topics(graph, labels)  # without vectors: the rule before
                    elif rule == "loops":
                        g = sqrt_rule(collapse(graph, labels, k, loops=True))
                    elif rule == "wideK":
                        wide = int(max(kn, np.median(sizes)))
                        idx, sim = N.knn(vec, wide, lexical=lex if share > 0 else None, share=share)
                        g = sqrt_rule(collapse(C.fuzzy_graph(idx, sim), labels, k))
                    elif rule == "runner":
                        g = sqrt_rule(runner(vec, labels, cents, 1))
                    elif rule == "runner3":
                        g = sqrt_rule(runner(vec, labels, cents, 3))
                    elif rule == "cknn":
                        g = sqrt_rule(fuzzy_of(cents, mt))
                    elif rule == "cfull":
                        g = sqrt_rule(full_graph(cents))
                    elif rule == "ccfull":
                        g = sqrt_rule(full_graph(ccents))
                    elif rule == "avg":
                        g = linkage_cut(cents, "average", round(np.sqrt(k)))
                    elif rule == "ward":
                        g = linkage_cut(cents, "ward", round(np.sqrt(k)))
                    elif rule == "cavg":
                        g = linkage_cut(ccents, "average", round(np.sqrt(k)))
                    elif rule == "avggap":
                        g = linkage_cut(ccents, "average", None)
                    elif rule == "ctf":
                        t = ctfidf(lex, labels, k)
                        d = 1 - (cents @ cents.T + t @ t.T) / 2
                        from scipy.cluster.hierarchy import fcluster, linkage
                        from scipy.spatial.distance import squareform

                        np.fill_diagonal(d, 0)
                        z = linkage(squareform(np.maximum(d, 0), checks=False), "average")
                        g = fcluster(z, round(np.sqrt(k)), "maxclust") - 1
                    elif rule == "textctf":
                        b = collapse(graph, labels, k)
                        cg = fuzzy_of(ctfidf(lex, labels, k), mt)
                        g = sqrt_rule((b / b.sum() + cg / cg.sum()).tocsr())
                    elif rule == "vecgraph":
                        g = G.group_topics(vec_graph, labels)
                    elif rule == "mv":
                        lg = C.fuzzy_graph(*N.knn(vec, kn, lexical=lex, share=1.0))
                        g = G.group_topics(((vec_graph + lg) / 2).tocsr(), labels)
                    elif rule in ("mix", "todayrunner", "todayccfull"):
                        parts = {
                            "mix": ("today", "runner", "ccfull"),
                            "todayrunner": ("today", "runner"),
                            "todayccfull": ("today", "ccfull"),
                        }[rule]
                        graphs = {
                            "today": lambda: collapse(graph, labels, k),
                            "runner": lambda: runner(vec, labels, cents, 1),
                            "ccfull": lambda: full_graph(ccents),
                        }
                        b = sum(x / x.sum() for x in (graphs[p]() for p in parts))
                        g = sqrt_rule(sp.csr_matrix(b))
                    elif rule == "wide2K":
                        wide = int(max(kn, 2 * np.median(sizes)))
                        idx, sim = N.knn(vec, wide, lexical=lex if share > 0 else None, share=share)
                        g = sqrt_rule(collapse(C.fuzzy_graph(idx, sim), labels, k))
                    elif rule in ("agree", "agree3", "agree-nowide"):
                        views = [collapse(graph, labels, k), runner(vec, labels, cents, 1), full_graph(ccents)]
                        if rule != "agree-nowide":
                            wide = int(max(kn, np.median(sizes)))
                            idx, sim = N.knn(vec, wide, lexical=lex if share > 0 else None, share=share)
                            views.insert(1, collapse(C.fuzzy_graph(idx, sim), labels, k))
                        parts = np.array([sqrt_rule(b) for b in views])
                        co = (parts[:, :, None] == parts[:, None, :]).mean(0)
                        cut = 0.75 if rule == "agree3" else 0.5
                        m = sp.csr_matrix(co * (co > cut))
                        m.setdiag(0)
                        m.eliminate_zeros()
                        from scipy.sparse.csgraph import connected_components

                        g = connected_components(m, directed=False)[1]
                    elif rule.startswith("X"):  # session 28: readings and agreements
                        g = extra(rule, ctx)
                    elif rule.startswith("M"):  # session 29: seeds and scales, average linkage
                        g = scaled(rule, ctx)
                    elif rule == "product":
                        g = G.group_topics(graph, labels, vec, lex, share)
                    elif rule == "(topics)":
                        g = np.arange(k)
                    elif rule == "(oracle)":
                        names = sorted(set(coarse))
                        ci = np.array([names.index(x) for x in coarse])
                        g = np.array([np.bincount(ci[labels == t], minlength=len(names)).argmax() for t in range(k)])
                    elif rule == "res1":
                        g = at_res1(collapse(graph, labels, k))
                    else:
                        raise SystemExit(f"unknown rule {rule}")
                    cpu = time.process_time() - t0
                    g = np.asarray(g)
                    spread = np.where(labels >= 0, g[np.maximum(labels, 0)], -1)
                    v = scores(labels, fine, coarse, spread)["nmi_coarse"]
                    met[(rule, share)] += v >= goal
                    cells.append(f"{v:.3f}{'*' if v >= goal else ' '}({len(set(g.tolist()))},{cpu:.1f}s)")
                total[share] += 1
                print(f"{name} | {share} | {k} | {goal:.3f} | " + " | ".join(cells), flush=True)
    for share in shares:
        print(
            f"rows meeting the goal at share {share} (of {total[share]}): "
            + ", ".join(f"{r} {met[(r, share)]}" for r in rules),
            flush=True,
        )


if __name__ == "__main__":
    main()
