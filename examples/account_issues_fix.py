"""Steps 4-5 of the loop: one change (account and login policies in the system prompt,
version 2 of the stored prompt `juno`), run on the same dataset with the same scorer,
compared case by case with the baseline.

A Braintrust eval file: with Braintrust, the first import would read
`from braintrust import Eval, init_dataset, load_prompt`; nothing else changes.

    evaltui eval examples/account_issues_fix.py --db evaltui-demo.duckdb
    evaltui diff account-baseline account-fix --db evaltui-demo.duckdb   # scores and the prompt diff
"""

from evaltui import Eval, init_dataset, load_prompt

from evaltui.demo.bot import SupportBot
from evaltui.demo.judges import production_judge

Eval(
    "support-bot",
    data=init_dataset("support-bot", "account-issues"),
    task=SupportBot(load_prompt("juno", version=2)),
    scores=[production_judge(dataset="account-issues")],
    experiment_name="account-fix",
    base_experiment_name="account-baseline",
    metadata={"prompt": "baseline + account policies"},
    max_concurrency=4,
)
