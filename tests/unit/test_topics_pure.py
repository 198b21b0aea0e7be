"""Topic logic without the model: c-TF-IDF labels, assignment threshold, statistics."""

from __future__ import annotations

import numpy as np
import pytest

from evaltui.store.topics import topic_score_rows
from evaltui.topics.cluster import (
    OUTLIER,
    ClusterParams,
    as_igraph,
    assign_nearest,
    cluster,
    cluster_graph,
    fuzzy_graph,
    leiden,
    loose_topics,
)
from evaltui.topics.groups import adjusted_rand, group_resolution, group_topics, most_agreed
from evaltui.topics.label import keywords, label_from_keywords, slug
from evaltui.topics.stats import overall_means, where_it_hurts
from tests.helpers import conversation, write_jsonl


def test_c_tf_idf_labels_name_what_sets_a_topic_apart():
    texts = [
        "I forgot my password",
        "password reset link expired",
        "reset my password please",
        "my order is late",
        "where is my order parcel",
        "order parcel tracking not moving",
        "promo code invalid order",
        "promo code expired",
    ]
    labels = [0, 0, 0, 1, 1, 1, 2, 2]
    words = keywords(texts, labels, 3)
    assert "password" in words[0][0]
    assert any("parcel" in w for w in words[1][:3])
    assert words[2][0] == "promo code"
    # "order" is everywhere: it never leads a label
    assert all(w[0] != "order" for w in words)
    # a word inside a chosen phrase is not repeated on its own
    assert "promo" not in words[2] and "code" not in words[2]
    assert (
        label_from_keywords(["password reset", "locked out", "login", "email"]) == "password reset · locked out · login"
    )
    assert slug("Password reset · locked out", max_words=4) == "password_reset_locked_out"


def test_assignment_threshold_leaves_far_spans_unassigned():
    cents = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    near = np.array([0.98, 0.2, 0.0]) / np.linalg.norm([0.98, 0.2, 0.0])
    between = np.array([0.75, 0.65, 0.14]) / np.linalg.norm([0.75, 0.65, 0.14])  # nearer topic 0, ~0.25 away
    far = np.array([0.0, 0.0, 1.0])
    vectors = np.stack([near, between, far]).astype(np.float32)
    topics, dist = assign_nearest(vectors, cents, np.array([0.1, 0.1]))
    assert topics.tolist() == [0, OUTLIER, OUTLIER]
    assert dist[0] == pytest.approx(1 - near[0], abs=1e-6)
    # a looser threshold for topic 0 takes the in-between one
    topics, _ = assign_nearest(vectors, cents, np.array([0.35, 0.1]))
    assert topics.tolist() == [0, 0, OUTLIER]


def _blobs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.eye(8, 32) * 3
    points = np.concatenate([c + rng.normal(0, 0.3, (40, 32)) for c in centres])
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def test_clustering_is_deterministic_for_a_seed_and_finds_the_groups():
    vectors = _blobs()
    a = cluster(vectors, ClusterParams(seed=7))
    b = cluster(vectors, ClusterParams(seed=7))
    assert a.tolist() == b.tolist()
    assert len(set(a.tolist()) - {OUTLIER}) == 8
    # every true group lands (outliers aside) in one cluster
    for g in range(8):
        found = set(a[g * 40 : (g + 1) * 40].tolist()) - {OUTLIER}
        assert len(found) == 1


def test_a_topic_whose_texts_link_mostly_elsewhere_is_left_unassigned_whole():
    # nine topics of 20 texts, k = 10: eight whose texts' neighbours are all inside, and one
    # whose texts have 3 neighbours inside and 7 spread over the other topics (as scattered
    # requests no topic covers): only that one is loose
    rng = np.random.default_rng(0)
    k, size, topics = 10, 20, 9
    labels = np.repeat(np.arange(topics), size)
    idx = np.empty((topics * size, k), dtype=np.int64)
    for i in range(topics * size):
        own = np.flatnonzero(labels == labels[i])
        own = own[own != i]
        if labels[i] < topics - 1:
            idx[i] = rng.choice(own, k, replace=False)
        else:
            elsewhere = np.flatnonzero(labels != labels[i])
            idx[i] = np.concatenate([rng.choice(own, 3, replace=False), rng.choice(elsewhere, k - 3, replace=False)])
    sim = np.tile(np.linspace(0.9, 0.6, k), (topics * size, 1))
    graph = fuzzy_graph(idx, sim)
    loose = loose_topics(graph, labels, idx)
    assert loose.tolist() == (labels == topics - 1).tolist()
    # all closed alike (the eight clean topics alone): no fence below them takes any
    keep = labels < topics - 1
    sub = np.flatnonzero(keep)
    remap = np.full(len(labels), -1)
    remap[sub] = np.arange(len(sub))
    sub_idx = remap[idx[sub]]
    assert (sub_idx >= 0).all()
    assert not loose_topics(fuzzy_graph(sub_idx, sim[sub]), labels[sub], sub_idx).any()
    # all loose alike (every text with 4 of its 10 neighbours inside): none stands out, none taken
    for i in range(topics * size):
        own = np.flatnonzero(labels == labels[i])
        own = own[own != i]
        elsewhere = np.flatnonzero(labels != labels[i])
        idx[i] = np.concatenate([rng.choice(own, 4, replace=False), rng.choice(elsewhere, k - 4, replace=False)])
    assert not loose_topics(fuzzy_graph(idx, sim), labels, idx).any()


def test_a_resolution_chosen_from_the_data_finds_the_groups_at_any_size_of_sample():
    from evaltui.topics.cluster import cluster_resolved, density

    vectors = _blobs()
    labels, graph, resolution = cluster_resolved(vectors, ClusterParams(resolution=None, seed=7))
    again, _, same = cluster_resolved(vectors, ClusterParams(resolution=None, seed=7))
    assert labels.tolist() == again.tolist() and resolution == same
    # a multiple of the graph's own density, and the 8 groups, whole
    assert 0.5 <= resolution / density(graph) <= 32
    assert len(set(labels.tolist()) - {OUTLIER}) == 8
    assert all(len(set(labels[g * 40 : (g + 1) * 40].tolist()) - {OUTLIER}) == 1 for g in range(8))
    # half the texts: still 8 topics
    half = cluster(vectors[::2], ClusterParams(resolution=None, seed=7))
    assert len(set(half.tolist()) - {OUTLIER}) == 8


def _small_topics(seed: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """40 topics of 15 texts around random directions (small topics, as intents of 17 texts in
    a log of 1,000)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (40, 48))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.concatenate([c + rng.normal(0, noise, (15, 48)) for c in centres])
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), np.repeat(np.arange(40), 15)


def test_a_refined_map_goes_finer_where_the_data_holds_smaller_topics():
    from evaltui.topics.cluster import cluster_resolved

    # the fixed resolution joins some of the 40 topics; ``refine`` takes a finer map from the
    # band, where all 40 come out whole
    vectors, truth = _small_topics(0, 0.15)
    fixed, _, at = cluster_resolved(vectors, ClusterParams(refine=False))
    assert at == 0.0075 and len(set(fixed.tolist()) - {OUTLIER}) < 40
    labels, _, chosen = cluster_resolved(vectors, ClusterParams(refine=True))
    again, _, same = cluster_resolved(vectors, ClusterParams(refine=True))
    assert labels.tolist() == again.tolist() and chosen == same
    assert 0.0075 < chosen <= 4 * 0.0075 + 1e-12
    assert len(set(labels.tolist()) - {OUTLIER}) == 40
    on, was = labels >= 0, fixed >= 0
    assert adjusted_rand(labels[on], truth[on]) > 0.95 > adjusted_rand(fixed[was], truth[was])
    # tighter topics: the fixed map already has the 40, and ``refine`` keeps it
    vectors, _ = _small_topics(0, 0.05)
    labels, _, chosen = cluster_resolved(vectors, ClusterParams(refine=True))
    assert chosen == 0.0075 and len(set(labels.tolist()) - {OUTLIER}) == 40


def _families() -> np.ndarray:
    """4 families of 2 topics of 40 texts each: topics of a family share most of their
    direction (unit vectors, in order: family 0 topic 0, family 0 topic 1, ...)."""
    rng = np.random.default_rng(3)
    points = []
    for family in range(4):
        for sub in range(2):
            centre = np.zeros(32)
            centre[family] = 3.0
            centre[8 + family * 2 + sub] = 1.2
            points.append(centre + rng.normal(0, 0.25, (40, 32)))
    vectors = np.concatenate(points)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_topics_fall_into_groups_of_nearby_topics():
    vectors = _families()
    labels, graph = cluster_graph(vectors, ClusterParams(seed=1))
    groups = group_topics(graph, labels, vectors)
    assert len(groups) == int(labels.max()) + 1
    truth_topic = np.repeat(np.arange(8), 40)
    truth_family = truth_topic // 2
    assigned = labels >= 0
    assert assigned.mean() > 0.9
    # each group holds topics of one family only, and there are fewer groups than topics
    text_group = groups[labels[assigned]]
    for g in np.unique(text_group):
        assert len(set(truth_family[assigned][text_group == g].tolist())) == 1
    assert len(set(groups.tolist())) < len(set(labels[assigned].tolist()))


def test_the_topics_words_link_topics_that_share_a_domain_word():
    from evaltui.topics.groups import _words_graph
    from evaltui.topics.represent import lexical

    # 3 domains x 2 intents; "can you", "my" and "please" run through every topic
    topics = [
        ["can you tell me why my card was declined", "my card got declined please", "card declined again can you"],
        ["can you block my lost card", "my card is lost please", "I lost my card can you help"],
        ["can you book my flight to Paris", "book a flight for my trip please", "please book a flight to Rome"],
        ["can you check the status of my flight", "is my flight on time please", "my flight status please"],
        ["can you find me a recipe for dinner", "a dinner recipe for my family please", "recipe for dinner"],
        ["can you find my vegan recipe", "please a vegan recipe", "my favourite vegan recipe can you"],
    ]
    texts = [t for topic in topics for t in topic]
    labels = np.repeat(np.arange(6), 3)
    words = _words_graph(lexical(texts), labels, 6).toarray()
    assert np.allclose(words, words.T) and np.all(np.diag(words) == 0)
    same_domain = min(words[0, 1], words[2, 3], words[4, 5])
    across = max(words[i, j] for i in range(6) for j in range(6) if i // 2 != j // 2)
    assert same_domain > 0 and same_domain > across


def test_with_the_words_the_groups_still_follow_the_families():
    from evaltui.topics.represent import lexical

    # the family fixture above, with texts whose words follow the families: a family word
    # ("billing") and a topic word ("refund") per text
    family_words = ["billing", "shipping", "account", "device"]
    texts = [
        f"{family_words[family]} question topic{family}{sub} number {i % 7}"
        for family in range(4)
        for sub in range(2)
        for i in range(40)
    ]
    vectors = _families()
    view = lexical(texts)
    labels, graph = cluster_graph(vectors, ClusterParams(seed=1), view)
    groups = group_topics(graph, labels, vectors, view, 0.5)
    family = np.repeat(np.arange(8), 40) // 2
    assigned = labels >= 0
    text_group = groups[labels[assigned]]
    for g in np.unique(text_group):
        assert len(set(family[assigned][text_group == g].tolist())) == 1
    assert len(set(groups.tolist())) < len(set(labels[assigned].tolist()))


def test_groups_are_at_least_the_square_root_of_the_topics_and_never_coarser_than_modularity():
    import scipy.sparse as sp

    # 36 topics, each linked to every other equally: modularity at 1 keeps them all in one
    # group, so the resolution goes up until there are at least 6 groups.
    even = sp.csr_matrix(np.ones((36, 36)) - np.eye(36))
    resolution = group_resolution(as_igraph(even), 36)
    assert resolution > 1.0
    assert len(set(leiden(even, resolution, 0, objective="modularity").tolist())) >= 6
    # 12 separate triangles: modularity at 1 already gives 12 groups (>= sqrt(36)), kept.
    triangles = sp.block_diag([np.ones((3, 3)) - np.eye(3)] * 12).tocsr()
    assert group_resolution(as_igraph(triangles), 36) == 1.0
    assert len(set(leiden(triangles, 1.0, 0, objective="modularity").tolist())) == 12


def test_topics_join_where_all_readings_but_one_agree_on_average_not_through_one_pair():
    from scipy.sparse.csgraph import connected_components

    from evaltui.topics.groups import _together

    # the share of five readings' groupings that put two topics together: two families
    # {0, 1, 2} and {3, 4, 5} that every reading keeps whole, one pair across them (2, 3) that
    # four of five put together, topic 6 that four of five put with every topic of the first
    # family, topic 7 that four of five put with topic 0 only (three of five with 1 and 2)
    share = np.zeros((8, 8))
    for family in ([0, 1, 2], [3, 4, 5]):
        share[np.ix_(family, family)] = 1.0
    share[2, 3] = share[3, 2] = 0.8
    share[6, :3] = share[:3, 6] = 0.8
    share[7, 0] = share[0, 7] = 0.8
    share[7, [1, 2]] = share[[1, 2], 7] = 0.6
    np.fill_diagonal(share, 1.0)
    groups = _together(share, 0.8)
    assert len(groups) == 8
    assert len({groups[t] for t in (0, 1, 2, 6)}) == 1  # 6 agrees with the whole family
    assert len({groups[t] for t in (3, 4, 5)}) == 1
    assert groups[0] != groups[3]  # one agreeing pair does not join two families
    assert groups[7] not in {groups[0], groups[3]}  # nor one agreeing topic of a family
    # the rule before, connected components of the agreeing pairs, chained them all into one
    assert connected_components(share >= 0.8, directed=False)[0] == 1


def test_the_groups_are_the_run_the_others_agree_with_most():
    odd = np.array([0, 1, 0, 1, 0, 1])
    usual = np.array([0, 0, 0, 1, 1, 1])
    near = np.array([0, 0, 1, 1, 1, 1])
    assert most_agreed([odd, near, usual, usual]) is not odd
    assert most_agreed([odd, near, usual, usual]).tolist() == usual.tolist()


def test_the_runs_are_compared_by_the_adjusted_rand_index():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(7)
    pairs = [(np.zeros(5, int), np.zeros(5, int)), (np.arange(6), np.arange(6)), (np.zeros(4, int), np.arange(4))]
    for _ in range(200):
        n = int(rng.integers(2, 200))
        a = rng.integers(0, int(rng.integers(1, 20)), n) * 3  # labels need not be 0..k-1
        pairs.append((a, a if rng.random() < 0.2 else rng.integers(0, int(rng.integers(1, 20)), n)))
    for a, b in pairs:
        assert adjusted_rand(a, b) == adjusted_rand_score(a, b)


def test_a_sentence_repeated_across_texts_weighs_little():
    from evaltui.topics.represent import SentenceWeights, combine

    texts = ["Hi there. I forgot my password.", "Hi there. Where is my parcel?", "Hi there. Cancel my order."]
    weights = SentenceWeights.fit(texts)
    assert weights.weight("Hi there.") < 0.01 < weights.weight("Cancel my order.")
    # ids and numbers do not make a sentence new
    assert SentenceWeights.fit(["Order #1 late.", "Order #2 late."]).weight("Order #3 late.") < 0.01
    vec = {
        "Hi there.": np.array([1.0, 0.0, 0.0]),
        "I forgot my password.": np.array([0.0, 1.0, 0.0]),
        "Where is my parcel?": np.array([0.0, 0.0, 1.0]),
        "Cancel my order.": np.array([0.0, 0.7, 0.7]),
    }
    out = combine(texts, weights, vec)
    assert out[0][1] > 0.99  # the greeting hardly moves the password text


def test_readable_names_are_the_central_request_not_joined_keywords():
    from evaltui.topics.label import readable_names
    from evaltui.topics.represent import SentenceWeights

    texts = [
        "Hello! My password reset link has expired.",
        "Hello! The reset link expired again.",
        "Hello! Where is my parcel?",
    ]
    vectors = np.array([[1, 0.1], [1, 0], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    names = readable_names(texts, vectors, np.array([0, 0, 1]), 2, SentenceWeights.fit(texts))
    assert names[0] in ("My password reset link has expired", "The reset link expired again")
    assert names[1] == "Where is my parcel?".rstrip("?")


def test_topic_score_statistics_match_hand_computed_values(store, tmp_path):
    from evaltui.ingest import ingest_file

    rows = []
    # billing: brand alignment 1.0, 0.0, 0.5 (mean 0.5, 2 of 3 below 0.5? no: 0.0 only -> 1/3 failing)
    rows += (
        conversation(1, "billing", 1.0, cq=1.0)
        + conversation(2, "billing", 0.0, cq=0.0)
        + conversation(3, "billing", 0.5)
    )
    # shipping: 1.0, 1.0 (mean 1.0)
    rows += conversation(4, "shipping", 1.0, cq=1.0) + conversation(5, "shipping", 1.0, cq=0.0, day=2)
    # login: 0.0 (mean 0.0), no conversation quality
    rows += conversation(6, "login", 0.0)
    ingest_file(store, write_jsonl(tmp_path / "s.jsonl", rows))
    keys, out = topic_score_rows(store, {"default": 0.5})
    by = {r["topic"]: r for r in out}
    assert keys == ["brand_alignment", "conversation_quality"]
    assert by["billing"]["conversations"] == 3
    assert by["billing"]["scores"]["brand_alignment"] == {
        "n": 3,
        "mean": pytest.approx(0.5),
        "fail_share": pytest.approx(1 / 3),
    }
    assert by["billing"]["scores"]["conversation_quality"]["mean"] == pytest.approx(0.5)
    assert by["shipping"]["scores"]["brand_alignment"]["fail_share"] == 0.0
    assert "conversation_quality" not in by["login"]["scores"]

    overall = overall_means(out, keys)
    assert overall["brand_alignment"] == pytest.approx(3.5 / 6)
    hurts = where_it_hurts(out, keys)
    # login: (0.5833 - 0) x 1 = 0.583; billing ba: (0.5833 - 0.5) x 3 = 0.25;
    # billing cq: overall cq = 2/4 = 0.5, billing 0.5 -> no gap; shipping cq: 0.5 -> no gap.
    assert [(h.topic, h.scorer) for h in hurts] == [("login", "brand_alignment"), ("billing", "brand_alignment")]
    assert hurts[0].impact == pytest.approx(3.5 / 6)
    assert hurts[1].impact == pytest.approx((3.5 / 6 - 0.5) * 3)
    assert hurts[1].fail_share == pytest.approx(1 / 3)


def test_a_new_topic_keeps_the_key_of_the_old_one_it_matches_and_never_takes_a_retired_one():
    from evaltui.topics.build import _fresh_keys, _match_keys

    old = np.eye(3, dtype=np.float32)
    new = np.array([[0, 1, 0], [0.6, 0.64, 0.48], [1, 0, 0]], dtype=np.float32)  # 2nd is near none
    assert _match_keys(new, old, ["a", "b", "c"]) == ["b", None, "a"]
    assert _match_keys(new, old, ["a", "b", "c"], lambda key: key != "a") == ["b", None, None]
    assert _match_keys(new, old[:0], []) == [None, None, None]
    # "refund" was used by a retired topic and "refund_2" by this build: the gap gets "refund_3"
    assert _fresh_keys(["refund_2", None, "b"], ["x", "refund", "y"], {"refund"}) == ["refund_2", "refund_3", "b"]


def test_the_lexical_view_splits_what_the_vectors_cannot_tell_apart():
    # 2 x 30 texts whose vectors are one blob, but whose words are two requests: the vectors
    # alone make one topic; with the word TF-IDF cosine beside them (share 0.5), two.
    from evaltui.topics.cluster import cluster_resolved
    from evaltui.topics.represent import lexical

    rng = np.random.default_rng(5)
    vectors = np.ones((60, 16)) + rng.normal(0, 0.05, (60, 16))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    texts = [f"freeze my card ref{i}" for i in range(30)]  # each ref in one text: not a word of the view
    texts += [f"what is my balance ref{i}" for i in range(30, 60)]
    words = lexical(texts)
    assert words.shape[0] == 60 and np.allclose(words.multiply(words).sum(axis=1), 1.0)
    alone, _, _ = cluster_resolved(vectors, ClusterParams(seed=1, lexical_share=0.0), words)  # share 0: ignored
    assert len(set(alone.tolist()) - {OUTLIER}) == 1
    mixed, _, _ = cluster_resolved(vectors, ClusterParams(seed=1, lexical_share=0.5), words)
    assert len(set(mixed[:30].tolist()) - {OUTLIER}) == 1 and len(set(mixed[30:].tolist()) - {OUTLIER}) == 1
    assert mixed[0] != mixed[30]
    assert lexical(["one", "two"]) is None  # no word in 2+ texts


def test_the_words_rerank_the_vectors_candidates_and_never_bring_in_a_far_text():
    # 40 texts along an arc (the vectors' order is their index); text 0 shares a word with
    # text 5 (among its vectors' 2 x max(k, n**0.4) = 8 nearest) and one with text 39 (the
    # farthest). The mixed similarity ranks both above text 0's vector-nearest neighbours, but
    # only text 5 is a candidate: it becomes the nearest, text 39 stays out.
    import scipy.sparse as sp

    from evaltui.topics.nearest import knn

    angles = np.arange(40) * 0.02
    vectors = np.column_stack([np.cos(angles), np.sin(angles)]).astype(np.float32)
    rows, cols = list(range(40)), list(range(40))  # each text its own word ...
    rows += [0, 5, 39]
    cols += [40, 40, 41]  # ... and text 0 shares word 40 with text 5, word 41 with text 39
    words = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(40, 42))
    words = sp.diags(1 / np.sqrt(np.asarray(words.multiply(words).sum(axis=1)).ravel())) @ words
    words = words.astype(np.float32).tocsr()
    idx, sim = knn(vectors, 3, lexical=words, share=0.5)
    assert idx[0].tolist()[0] == 5 and 39 not in idx[0].tolist()
    assert idx[0].tolist()[1:] == [1, 2]
    assert sim[0, 0] > sim[0, 1] > sim[0, 2]
    assert knn(vectors, 3)[0][0].tolist() == [1, 2, 3]  # the vectors alone


def test_the_largest_columns_are_argpartitions_and_ties_still_give_k():
    from evaltui.topics.nearest import _largest

    rng = np.random.default_rng(5)
    sims = rng.normal(size=(300, 700)).astype(np.float32)
    for k in (1, 15, 62, 699):
        got = np.sort(_largest(sims, k), axis=1)
        assert np.array_equal(got, np.sort(np.argpartition(-sims, k - 1, axis=1)[:, :k], axis=1))
    # rows tied at the k-th value (duplicate texts): k columns, none smaller than the k-th value
    tied = np.round(sims, 1)
    got = _largest(tied, 20)
    kth = -np.sort(-tied, axis=1)[:, 19]
    assert got.shape == (300, 20) and all(len(set(row)) == 20 for row in got.tolist())
    assert (np.take_along_axis(tied, got, axis=1) >= kth[:, None]).all()


def test_the_candidates_word_cosines_are_the_products_own_floats():
    # the word cosines of the candidate pairs only, bit for bit the sparse product's (whose
    # float32 sums follow the terms' order), on texts with shared, repeated and no words
    from evaltui.topics.nearest import PAIR_ROWS, _pair_cosines
    from evaltui.topics.represent import lexical

    rng = np.random.default_rng(3)
    vocab = [f"w{i}" for i in range(60)] + ["what", "is", "my", "how", "do", "i"]
    texts = [" ".join(rng.choice(vocab, size=rng.integers(1, 40))) for _ in range(PAIR_ROWS * 2 + 37)]
    texts[5] = "zzz"  # no word in 2+ texts: an empty row
    words = lexical(texts)
    assert words.has_sorted_indices and words.dtype == np.float32
    product = (words @ words.T.tocsr()).toarray()
    rows = np.arange(3, len(texts))
    cand = rng.integers(0, len(texts), size=(len(rows), 17))
    got = _pair_cosines(words, rows, cand)
    assert got.dtype == np.float32 and np.array_equal(got, np.take_along_axis(product[rows], cand, axis=1))
    assert (got[rows == 5] == 0).all()


def test_a_wider_search_from_the_kept_lists_finds_the_same_neighbours():
    # the groups' wider search takes the vectors' candidates from the text graph's kept lists
    # (``Near``); duplicate texts tie at the cut, where the whole rows decide, as in a new pass
    from evaltui.topics.nearest import CANDIDATES, NEAR_KEPT, knn, neighbours, search
    from evaltui.topics.represent import lexical

    rng = np.random.default_rng(7)
    n = 2600  # two blocks of 2,048
    vectors = rng.normal(size=(n, 24)).astype(np.float32)
    vectors[50:80] = vectors[10]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vocab = [f"w{i}" for i in range(300)] + ["what", "is", "my"]
    texts = [" ".join(rng.choice(vocab, size=rng.integers(1, 25))) for _ in range(n)]
    words = lexical(texts)
    k = neighbours(n, 15)
    for view, share in ((words, 0.5), (None, 0.0)):
        first = knn(vectors, k, lexical=view, share=share)
        idx, sim, near = search(
            vectors, k, lexical=view, share=share, keep=NEAR_KEPT * CANDIDATES * max(k, round(n**0.4))
        )
        assert np.array_equal(idx, first[0]) and np.array_equal(sim, first[1])
        for wider in (k, 30, 47, 60):  # 60: more candidates than kept, a pass over all pairs
            again = search(vectors, wider, lexical=view, share=share, near=near)
            plain = knn(vectors, wider, lexical=view, share=share)
            assert np.array_equal(again[0], plain[0]) and np.array_equal(again[1], plain[1])
    other = vectors.copy()  # lists kept for other vectors are not used
    assert np.array_equal(search(other, 30, near=near)[0], knn(other, 30)[0])
