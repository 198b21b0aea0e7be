"""Step 3 of the loop: the baseline on the account-issues dataset.

A Braintrust eval file: with Braintrust, the first import would read
`from braintrust import Eval, init_dataset, load_prompt`; nothing else changes.

    evaltui eval examples/account_issues_baseline.py --db evaltui-demo.duckdb

The dataset comes from the worst topic of the demo logs (`evaltui demo` builds it, or
`evaltui datasets create account-issues --where ...`). The task is the sample support bot
with today's system prompt, version 1 of the stored prompt `juno` (`evaltui demo` stores
it; `evaltui prompts show juno --version 1`); the scorer is the production Brand
Alignment judge.
"""

from evaltui import Eval, init_dataset, load_prompt

from evaltui.demo.bot import SupportBot
from evaltui.demo.judges import production_judge

Eval(
    "support-bot",
    data=init_dataset("support-bot", "account-issues"),
    task=SupportBot(load_prompt("juno", version=1)),
    scores=[production_judge(dataset="account-issues")],
    experiment_name="account-baseline",
    metadata={"prompt": "baseline"},
    max_concurrency=4,
)
