"""Step 3 of the loop: the baseline on the account-issues dataset.

A Braintrust eval file: with Braintrust, the first import would read
`from braintrust import Eval, init_dataset`; nothing else changes.

    evaltui eval examples/account_issues_baseline.py --db evaltui-demo.duckdb

The dataset comes from the worst topic of the demo logs (`evaltui demo` builds it, or
`evaltui datasets create account-issues --where ...`). The task is the sample support bot
with today's system prompt; the scorer is the production Brand Alignment judge.
"""

from evaltui import Eval, init_dataset

from evaltui.demo.bot import SupportBot
from evaltui.demo.generate import BASELINE_SYSTEM_PROMPT
from evaltui.demo.judges import production_judge

Eval(
    "support-bot",
    data=init_dataset("support-bot", "account-issues"),
    task=SupportBot(BASELINE_SYSTEM_PROMPT),
    scores=[production_judge(dataset="account-issues")],
    experiment_name="account-baseline",
    metadata={"prompt": "baseline"},
    max_concurrency=4,
)
