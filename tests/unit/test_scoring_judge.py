"""The rubric LLM judge: forced tool call, JSON fallback, every fault mode, rubric files."""

from __future__ import annotations

import pytest

from evaltui.llm import LLMClient
from evaltui.scoring import ScorerError, run_scorer
from evaltui.scoring.judge import LLMJudge
from evaltui.scoring.rubric import RubricError, load_rubric, parse_rubric, transcript
from evaltui.testing import FakeOpenAI, Fault, Reply


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI() as s:
        yield s


@pytest.fixture
def judge(server):
    server.reset()
    client = LLMClient(base_url=server.base_url, api_key="sk-test", timeout=0.5, max_retries=0)
    return LLMJudge("brand_alignment", client)


async def test_forced_tool_call_gives_choice_score_and_rationale(judge, server):
    server.enqueue(Reply(choice="B", reasons="Polite but no next step."))
    (score,) = await run_scorer(judge, input="Where is my parcel?", output="It is on its way.")
    assert (score.name, score.score, score.label) == ("Brand Alignment", 0.5, "B")
    assert score.rationale == "Polite but no next step."
    body = server.chat_requests[-1].body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "select_choice"}}
    params = body["tools"][0]["function"]["parameters"]
    assert params["properties"]["choice"]["enum"] == ["A", "B", "C"]
    assert "Where is my parcel?" in body["messages"][0]["content"]
    assert "It is on its way." in body["messages"][0]["content"]
    assert body["temperature"] == 0


@pytest.mark.parametrize(
    "content, label",
    [
        ('{"reasons": "warm and specific", "choice": "A"}', "A"),
        ('Here you go:\n```json\n{"reasons": "curt", "choice": "C"}\n```', "C"),
        ('I pick {"choice": "b", "reasons": "vague"} for this one', "B"),
    ],
)
async def test_json_reply_fallback_when_no_tool_call(judge, server, content, label):
    server.enqueue(Fault("no_tool_call", content=content))
    (score,) = await run_scorer(judge, input="q", output="a")
    assert score.label == label and score.score == {"A": 1.0, "B": 0.5, "C": 0.0}[label]


@pytest.mark.parametrize(
    "fault, reason",
    [
        (Fault("no_tool_call", content="Looks fine to me."), "no select_choice tool call and no JSON choice"),
        (Fault("bad_tool_args"), "arguments are not JSON"),
        (Fault("bad_choice"), "chose 'Z', not one of A, B, C"),
        (Fault("malformed"), "not valid JSON"),
        (Fault("server_error"), "failed (500)"),
        (Fault("rate_limit", retry_after=0), "rate limited"),
        (Fault("slow", delay=1.0), "no reply"),
        (Fault("drop"), "connection failed or dropped"),
    ],
)
async def test_every_fault_is_a_scorer_error_with_its_reason(judge, server, fault, reason):
    server.enqueue(fault)
    with pytest.raises(ScorerError) as err:
        await run_scorer(judge, input="q", output="a")
    assert reason in str(err.value) and str(err.value).startswith("Brand Alignment:")


def test_rubric_version_is_a_hash_of_the_content(tmp_path):
    text = "name: Tone\nprompt: 'Is {{output}} polite?'\nchoices: {Y: 1, N: 0}\n"
    a = tmp_path / "tone.yaml"
    a.write_text(text)
    b = tmp_path / "copy.yaml"
    b.write_text(text)
    assert load_rubric(a).version == load_rubric(b).version
    a.write_text(text.replace("polite", "kind"))
    assert load_rubric(a).version != load_rubric(b).version
    toml = tmp_path / "tone.toml"
    toml.write_text('name = "Tone"\nprompt = "Is {{output}} polite?"\n[choices]\nY = 1\nN = 0\n')
    rubric = load_rubric(toml)
    assert rubric.choices == {"Y": 1.0, "N": 0.0} and rubric.key == "tone"


def test_judge_version_changes_with_rubric_and_model(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: R\nprompt: '{{output}}'\nchoices: {Y: 1, N: 0}\n")
    c = LLMClient(base_url="http://127.0.0.1:9/v1", model="m1")
    v1 = LLMJudge(load_rubric(path), c).version
    assert v1 == f"{load_rubric(path).version}+m1"
    assert LLMJudge(load_rubric(path), c, model="m2").version != v1


def test_builtin_rubrics():
    ba, cq = load_rubric("brand_alignment"), load_rubric("conversation_quality")
    assert (ba.name, ba.choices, ba.scope) == ("Brand Alignment", {"A": 1.0, "B": 0.5, "C": 0.0}, "turn")
    assert (cq.name, cq.choices, cq.scope) == ("Conversation Quality", {"Y": 1.0, "N": 0.0}, "conversation")
    history = [
        {"role": "system", "content": "be nice"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "refund?"},
    ]
    rendered = cq.render(input=history, output="Sure, here is how.")
    assert "Customer: hi\nAgent: hello\nCustomer: refund?\nAgent: Sure, here is how." in rendered
    assert "be nice" not in rendered
    assert transcript("just text", None) == "Customer: just text"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: X\nchoices: {A: 1, B: 0}\n", "missing prompt"),
        ("name: X\nprompt: p\nchoices: {A: 2, B: 0}\n", "between 0 and 1"),
        ("name: X\nprompt: p\nchoices: {A: 1}\n", "at least two"),
        ("name: [unclosed\n", "not valid yaml"),
    ],
)
def test_bad_rubrics_are_refused_in_one_line(text, message):
    with pytest.raises(RubricError) as err:
        parse_rubric(text.encode(), "bad.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_template_variables(tmp_path):
    rubric = parse_rubric(
        b"prompt: 'in={{input}} out={{ output }} exp={{expected}} t={{metadata.topic}} {{other}}'\n"
        b"choices: {Y: 1, N: 0}\n",
        "t.yaml",
    )
    text = rubric.render(input={"q": 1}, output="o", expected=None, metadata={"topic": "billing"})
    assert text == 'in={"q": 1} out=o exp= t=billing {{other}}'
