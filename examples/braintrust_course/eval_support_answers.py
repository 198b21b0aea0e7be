"""A Braintrust-style eval file, as Braintrust's own eval course writes them: the project
set with `init`, a logger, an Anthropic client wrapped for tracing, a prompt and a scorer
defined outside the code (in Braintrust's UI; here in the database), and a dataset by
project and name. With Braintrust, the import line would read

    from braintrust import Eval, current_span, init, init_dataset, init_function, init_logger, load_prompt, traced, wrap_anthropic

and nothing else changes. Set up once (README "Coming from Braintrust"):

    evaltui datasets import support-questions examples/braintrust_course/questions.jsonl
    evaltui prompts add support-answer examples/braintrust_course/support-answer.yaml
    evaltui scorers add helpfulness examples/braintrust_course/helpfulness.yaml

then run it against any Anthropic-compatible endpoint (the task) and OpenAI-compatible
one (the judge):

    ANTHROPIC_BASE_URL=http://127.0.0.1:8001 ANTHROPIC_API_KEY=sk-ant-... \\
    OPENAI_BASE_URL=http://127.0.0.1:8000/v1 OPENAI_API_KEY=sk-... \\
        evaltui eval examples/braintrust_course/eval_support_answers.py
"""

from anthropic import Anthropic

from evaltui import Eval, current_span, init, init_dataset, init_function, init_logger, load_prompt, traced, wrap_anthropic

PROJECT = "juniper-support"

init(project=PROJECT)
init_logger(project=PROJECT)
client = wrap_anthropic(Anthropic())
prompt = load_prompt(project=PROJECT, slug="support-answer")


@traced
def answer(input):
    built = prompt.build(question=input["question"], customer=input.get("customer", "there"))
    system = "\n".join(m["content"] for m in built["messages"] if m["role"] == "system")
    messages = [m for m in built["messages"] if m["role"] != "system"]
    response = client.messages.create(model=built.get("model", "claude-sonnet-4-5"), max_tokens=400, system=system,
                                      messages=messages)
    current_span().log(metadata={"stop_reason": response.stop_reason})
    return response.content[0].text


Eval(
    PROJECT,
    data=init_dataset(project=PROJECT, name="support-questions"),
    task=answer,
    scores=[init_function(project_name=PROJECT, slug="helpfulness")],
    experiment_name="support-answers",
    metadata={"model": "claude-sonnet-4-5"},
)
