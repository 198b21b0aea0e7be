"""Topic maps end to end with the real MiniLM model on a small fixture (88 conversations,
four themes: account, refunds, shipping, discounts)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaltui.cli import main
from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.store import logs as log_queries
from evaltui.topics.build import BuildOptions, build_map
from tests.helpers import span, write_jsonl

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"


@pytest.fixture(scope="module")
def built_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("topics") / "built.duckdb"
    with Store(path) as store:
        ingest_file(store, FIXTURE)
        build_map(store, BuildOptions(name_with_llm=False))
    return path


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.duckdb"
    shutil.copy(src, dst)
    return dst


def _tag_to_topic(store: Store) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for tag, topic in store.con.execute(
        "SELECT json_extract_string(metadata, '$.topic'), topic FROM spans WHERE parent_id IS NULL"
    ).fetchall():
        out.setdefault(tag, Counter())[topic] += 1
    return out


def test_model_loads_offline():
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    from evaltui.topics.embed import encode

    v = encode(["I forgot my password", "password reset please", "my parcel is late"])
    assert v.shape == (3, 384)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_embeddings_are_cached_by_text_and_model(store, monkeypatch):
    from evaltui.topics import embed

    first = embed.embed_texts(store, ["hello there", "refund please", "hello there"])
    assert first.shape == (3, 384)
    assert store.con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0] == 2

    def boom(*a, **k):
        raise AssertionError("the model must not run for cached texts")

    monkeypatch.setattr(embed, "encode", boom)
    again = embed.embed_texts(store, ["refund please", "hello there"])
    assert (again == first[[1, 0]]).all()


def test_the_default_int8_model_is_near_the_float_one_and_cached_apart(store):
    import numpy as np

    from evaltui.topics import embed

    texts = ["I forgot my password and cannot log in.", "Where is my order? It is a week late.", "cancel it"]
    assert embed.DEFAULT_MODEL == embed.BASE_MODEL + embed.INT8_SUFFIX
    quantised = embed.embed_texts(store, texts)
    float_ = embed.embed_texts(store, texts, embed.BASE_MODEL)
    # 8-bit activations on every CPU: cosine ~0.99 (torch's 7-bit default gives ~0.97)
    assert (np.einsum("ij,ij->i", quantised, float_) > 0.98).all()
    rows = store.con.execute("SELECT model, count(*) FROM embeddings GROUP BY model ORDER BY model").fetchall()
    assert rows == [(embed.BASE_MODEL, 3), (embed.DEFAULT_MODEL, 3)]


def test_encode_matches_sentence_transformers_and_keeps_the_callers_threads():
    import numpy as np
    import torch

    from evaltui.topics import embed

    words = ["track", "cancel"] * 40
    texts = [f"{w} my order number {i} please, it is late" * (1 + i % 4) for i, w in enumerate(words)]
    model = embed.load_model(embed.BASE_MODEL)
    before = torch.get_num_threads()
    ours = embed.encode(texts, embed.BASE_MODEL, batch_size=8, workers=2)  # 10 batches on 2 threads
    assert torch.get_num_threads() == before
    theirs = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == theirs.shape == (80, 384)
    assert (np.einsum("ij,ij->i", ours, theirs) > 0.9999).all()  # the same pooling, in input order


def test_an_int8_vector_hardly_depends_on_the_batch_it_is_encoded_in():
    import numpy as np

    from evaltui.topics import embed

    texts = [f"{w} my order number {i} please, it is late" for i, w in enumerate(["track", "cancel"] * 20)]
    texts += ["I forgot my password and cannot log in to my account, can you reset it for me today?"]
    alone = embed.encode(texts[-1:], batch_size=1, workers=1)
    among = embed.encode(texts, batch_size=64, workers=1)[-1:]  # one batch with 40 others
    # 8-bit activations (one scale per batch): ~0.99; torch's 7-bit default gave ~0.96 here
    assert float(np.dot(alone[0], among[0])) > 0.985


def test_a_map_finds_the_themes_and_files_every_span(built_db):
    with Store(built_db, read_only=True) as store:
        by_tag = _tag_to_topic(store)
        # each theme has one main topic holding most of it, and the four differ
        mains = {tag: c.most_common(1)[0] for tag, c in by_tag.items()}
        assert len({t for t, _ in mains.values()}) == 4
        assert all(topic is not None and n >= 0.5 * sum(by_tag[tag].values()) for tag, (topic, n) in mains.items())
        # and a topic holds one theme: no topic mixes two
        for topic in {t for t, _ in mains.values()}:
            assert sum(1 for c in by_tag.values() if c[topic]) == 1
        account = mains["account"][0]
        assert "password" in account
        # child spans follow their conversation; the original tag stays in metadata
        mismatched = store.con.execute(
            "SELECT count(*) FROM spans c JOIN spans r ON r.id = c.root_id "
            "WHERE c.parent_id IS NOT NULL AND c.topic IS DISTINCT FROM r.topic"
        ).fetchall()[0][0]
        assert mismatched == 0
        # the filter language finds the topic by its key
        assert log_queries.count(store, f'topic = "{account}"') == mains["account"][1]
        rows = log_queries.query_page(store, f'topic = "{account}"', limit=3).to_pylist()
        assert rows and all(r["topic"] == account for r in rows)
        # names people use: a phrase from the topic's central message, not joined keywords
        labels = store.con.execute("SELECT label, keywords FROM topics").fetchall()
        assert all(" · " not in label and len(label.split()) >= 3 for label, _ in labels)
        assert all(label != " ".join(words[:3]) for label, words in labels)


def test_rebuild_is_deterministic_and_keeps_topic_keys(built_db, tmp_path):
    path = _copy(built_db, tmp_path)
    with Store(path) as store:
        before = dict(store.con.execute("SELECT id, topic FROM spans").fetchall())
        result = build_map(store, BuildOptions(name_with_llm=False))
        after = dict(store.con.execute("SELECT id, topic FROM spans").fetchall())
        assert after == before  # same texts, same seed: same map, same keys
        assert sorted(result.kept_keys) == sorted(k for k in set(before.values()) if k)
        assert store.con.execute("SELECT count(*) FROM topic_maps WHERE active").fetchall()[0][0] == 1


def test_identities_survive_a_rebuild_on_more_data(built_db, tmp_path):
    path = _copy(built_db, tmp_path)
    with Store(path) as store:
        old_keys = {r[0] for r in store.con.execute("SELECT key FROM topics").fetchall()}
        account_before = _tag_to_topic(store)["account"].most_common(1)[0][0]
        extra = []
        for i, text in enumerate(
            [
                "I can't remember my password",
                "password reset is not working",
                "where is my refund",
                "my refund is missing",
                "my parcel never arrived",
                "the delivery is very late",
                "coupon code rejected",
                "voucher not accepted",
            ]
            * 2
        ):
            extra.append(
                span(
                    f"x{i}",
                    name="conversation",
                    ts="2026-11-04T10:00:00Z",
                    input=[{"role": "user", "content": f"{text} (ref {i})"}],
                    metadata={"topic": "x"},
                )
            )
        ingest_file(store, write_jsonl(tmp_path / "extra.jsonl", extra))
        result = build_map(store, BuildOptions(name_with_llm=False, cluster=BuildOptions().cluster))
        new_keys = {
            r[0] for r in store.con.execute("SELECT key FROM topics WHERE map_id = ?", [result.map_id]).fetchall()
        }
        assert len(set(result.kept_keys) & old_keys) >= 4
        assert account_before in new_keys


def _groups_with_topics(store: Store, map_id: int) -> dict[str, set[str]]:
    rows = store.con.execute(
        "SELECT g.key, t.key FROM topic_groups g JOIN topics t ON t.map_id = g.map_id AND t.group_id = g.group_id "
        "WHERE g.map_id = ?",
        [map_id],
    ).fetchall()
    out: dict[str, set[str]] = {}
    for group, topic in rows:
        out.setdefault(group, set()).add(topic)
    return out


def test_groups_keep_their_keys_across_rebuilds(built_db, tmp_path):
    path = _copy(built_db, tmp_path)
    with Store(path) as store:
        first = store.con.execute("SELECT id FROM topic_maps WHERE active").fetchall()[0][0]
        # keys that today's keywords would not give (as when an earlier map's keywords named
        # the groups): a rebuild must carry them over, not recompute them
        store.con.execute("UPDATE topic_groups SET key = key || '_earlier' WHERE map_id = ?", [first])
        before = _groups_with_topics(store, first)
        assert before and all(key.endswith("_earlier") for key in before)
        same = build_map(store, BuildOptions(name_with_llm=False))
        assert _groups_with_topics(store, same.map_id) == before
        # more texts: a group that still holds the same topics keeps its key; any other
        # group key is new, never one the old map used
        extra = [
            span(
                f"g{i}",
                name="conversation",
                ts="2026-11-04T10:00:00Z",
                input=[{"role": "user", "content": f"{text} (order {i})"}],
            )
            for i, text in enumerate(
                [
                    "my refund has not arrived yet",
                    "where is the money you owe me",
                    "the parcel is stuck in transit",
                    "my package shows no tracking",
                ]
                * 3
            )
        ]
        ingest_file(store, write_jsonl(tmp_path / "more.jsonl", extra))
        more = build_map(store, BuildOptions(name_with_llm=False))
        after = _groups_with_topics(store, more.map_id)
        matched = [(old, new) for old, topics in before.items() for new, again in after.items() if again == topics]
        assert matched and all(old == new for old, new in matched)
        assert all(key in before or not key.endswith("_earlier") for key in after)


def test_new_spans_join_by_nearest_centroid_and_far_ones_stay_unassigned(built_db, tmp_path):
    path = _copy(built_db, tmp_path)
    with Store(path) as store:
        account = _tag_to_topic(store)["account"].most_common(1)[0][0]
        new = [
            span(
                "n1",
                name="conversation",
                ts="2026-11-05T10:00:00Z",
                input=[{"role": "user", "content": "Hi, I forgot my password and the reset email never came"}],
            ),
            span("n1-t1", "n1", "n1", ts="2026-11-05T10:00:00Z", input="..."),
            span(
                "n2",
                name="conversation",
                ts="2026-11-05T11:00:00Z",
                input=[{"role": "user", "content": "Write me a sonnet about the migration of humpback whales"}],
            ),
        ]
        ingest_file(store, write_jsonl(tmp_path / "new.jsonl", new))
        from evaltui.topics import assign_new_spans

        result = assign_new_spans(store)
        assert (result.conversations, result.assigned, result.unassigned) == (2, 1, 1)
        topics = dict(store.con.execute("SELECT id, topic FROM spans WHERE id IN ('n1', 'n1-t1', 'n2')").fetchall())
        assert topics == {"n1": account, "n1-t1": account, "n2": None}
        # nothing new: nothing to do
        assert assign_new_spans(store).conversations == 0


def test_cheap_path_assigns_the_rest_and_reports_its_agreement(tmp_path):
    with Store(tmp_path / "cheap.duckdb") as store:
        ingest_file(store, FIXTURE)
        result = build_map(store, BuildOptions(name_with_llm=False, sample_size=60, cheap_above=0))
        distinct = store.con.execute("SELECT count(*) FROM span_topics").fetchall()[0][0]
        methods = dict(store.con.execute("SELECT method, count(*) FROM span_topics GROUP BY method").fetchall())
        # 60 distinct texts clustered, the other distinct texts (and their repeats) by the cheap path
        assert distinct == 88 and methods["cheap"] == 88 - methods["cluster"] and result.cheap_assigned > 0
        assert result.cheap_agreement is not None and result.cheap_agreement >= 0.6


def test_cli_build_list_show_and_ingest_hook(tmp_path):
    import orjson

    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    out = runner.invoke(main, ["--db", db, "topics", "assign"])
    assert out.exit_code == 2 and "topics build" in out.output
    assert runner.invoke(main, ["--db", db, "ingest", str(FIXTURE)]).exit_code == 0
    out = runner.invoke(main, ["--db", db, "topics", "build", "--no-llm", "--json"])
    assert out.exit_code == 0, out.output
    built = orjson.loads(out.output.strip().splitlines()[-1])
    assert built["topics"] >= 4 and built["conversations"] == 88

    out = runner.invoke(main, ["--db", db, "topics", "list", "--json"])
    table = orjson.loads(out.output)
    assert table["where_it_hurts"][0]["scorer"] == "resolved"
    refunds_topic = table["where_it_hurts"][0]["topic"]
    detail = orjson.loads(runner.invoke(main, ["--db", db, "topics", "show", refunds_topic, "--json"]).output)
    assert "refund" in " ".join(detail["keywords"])
    assert detail["examples"] and detail["trend"][0]["day"] == "2026-11-01"
    assert runner.invoke(main, ["--db", db, "topics", "show", "no_such_topic"]).exit_code == 2
    text = runner.invoke(main, ["--db", db, "topics", "list"]).output
    assert "where it hurts" in text and refunds_topic in text

    new = write_jsonl(
        tmp_path / "new.jsonl",
        [
            span(
                "late1",
                name="conversation",
                ts="2026-11-06T10:00:00Z",
                input=[{"role": "user", "content": "my refund never arrived"}],
            )
        ],
    )
    out = runner.invoke(main, ["--db", db, "ingest", str(new)])
    assert out.exit_code == 0 and "1 of 1 new conversations assigned" in out.output
    rows = runner.invoke(
        main, ["--db", db, "logs", "--where", f'topic = "{refunds_topic}"', "--json", "--limit", "1"]
    ).output
    assert orjson.loads(rows.splitlines()[0])["id"] == "late1"


def test_cli_build_chooses_the_resolution_when_asked_and_rejects_a_bad_one(tmp_path):
    import orjson

    db = str(tmp_path / "auto.duckdb")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "ingest", str(FIXTURE)]).exit_code == 0
    out = runner.invoke(main, ["--db", db, "topics", "build", "--resolution", "dense"])
    assert out.exit_code == 2 and "neither a positive number nor 'auto'" in out.output
    out = runner.invoke(main, ["--db", db, "topics", "build", "--resolution", "auto", "--no-llm", "--json"])
    assert out.exit_code == 0, out.output
    built = orjson.loads(out.output.strip().splitlines()[-1])
    assert built["topics"] >= 4 and built["conversations"] == 88


def test_ingest_without_a_map_does_not_load_torch(tmp_path):
    script = (
        "import sys; from click.testing import CliRunner; from evaltui.cli import main; "
        f"r = CliRunner().invoke(main, ['--db', {str(tmp_path / 'x.duckdb')!r}, 'ingest', {str(FIXTURE)!r}]); "
        "assert r.exit_code == 0, r.output; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert out.stdout.strip() == "False False", out.stderr


def test_a_map_has_groups_that_filter_and_roll_up_like_topics(built_db, tmp_path):
    import orjson

    db = _copy(built_db, tmp_path)
    with Store(db, read_only=True) as store:
        groups = store.con.execute("SELECT key, size FROM topic_groups").fetchall()
        pairs = store.con.execute(
            "SELECT DISTINCT topic, topic_group FROM spans WHERE parent_id IS NULL AND topic IS NOT NULL"
        ).fetchall()
        assert groups and all(g is not None for _, g in pairs)
        # every topic sits in exactly one group
        assert len({t for t, _ in pairs}) == len(pairs)
        group, size = groups[0]
        members = {t for t, g in pairs if g == group}
        in_group = log_queries.count(store, f'group = "{group}"')
        assert in_group == size == sum(log_queries.count(store, f'topic = "{t}"') for t in members)
        assert (
            log_queries.count(store, f'group = "{group}" and not topic in ({", ".join(repr(t) for t in members)})') == 0
        )
    runner = CliRunner()
    out = runner.invoke(main, ["--db", str(db), "stats", "--by", "group", "--json"])
    assert out.exit_code == 0, out.output
    rows = {r["topic"]: r["conversations"] for r in orjson.loads(out.output)["topics"]}
    assert rows[group] == size
    listed = runner.invoke(main, ["--db", str(db), "topics", "list", "--json"])
    table = orjson.loads(listed.output)
    assert {g["topic"] for g in table["groups"]} == {g for g, _ in groups}
    assert all(r["group"] for r in table["topics"] if r["topic"] != "(unassigned)")
    text = runner.invoke(main, ["--db", str(db), "topics", "list"]).output
    assert "groups" in text and group in text
