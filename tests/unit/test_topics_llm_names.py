"""With a model endpoint configured, the LLM names both levels of a map: each topic and each
group (real MiniLM, the real openai client against the loopback fake server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltui.ingest import ingest_file
from evaltui.store import Store
from evaltui.testing import FakeOpenAI, Reply
from evaltui.topics.build import build_map

FIXTURE = Path(__file__).parents[1] / "fixtures" / "topics" / "support.jsonl"


def _namer(request: dict) -> Reply:
    """A topic prompt gets 'topic about <first keyword>', a group prompt 'group about <first keyword>'."""
    prompt = request["messages"][-1]["content"]
    first_keyword = prompt.split("Keywords: ", 1)[1].split(",")[0].split(".")[0].strip()
    level = "group" if "form one group" in prompt else "topic"
    return Reply(content=f"{level} about {first_keyword}")


@pytest.fixture
def endpoint(monkeypatch):
    from evaltui.config import get_settings

    with FakeOpenAI(responder=_namer) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def test_with_an_endpoint_the_llm_names_topics_and_groups(tmp_path, endpoint):
    with Store(tmp_path / "named.duckdb") as store:
        ingest_file(store, FIXTURE)
        result = build_map(store)
        topics = store.con.execute(
            "SELECT name, keywords, label, group_id FROM topics WHERE map_id = ? ORDER BY topic_id", [result.map_id]
        ).fetchall()
        groups = store.con.execute(
            "SELECT group_id, name, keywords FROM topic_groups WHERE map_id = ? ORDER BY group_id", [result.map_id]
        ).fetchall()
    assert result.groups == len(groups) >= 1
    assert [name for name, *_ in topics] == [f"topic about {words[0]}" for _, words, *_ in topics]
    assert [name for _, name, _ in groups] == [f"group about {words[0]}" for *_, words in groups]
    # one request per topic and per group; a group's prompt lists the labels of its own topics
    prompts = [r.body["messages"][-1]["content"] for r in endpoint.chat_requests]
    assert len(prompts) == len(topics) + len(groups)
    group_prompts = [p for p in prompts if "form one group" in p]
    for group_id, _, words in groups:
        prompt = next(p for p in group_prompts if p.split("Keywords: ", 1)[1].startswith(words[0]))
        members = [label for *_, label, g in topics if g == group_id]
        assert members and all(label[:80] in prompt for label in members)
