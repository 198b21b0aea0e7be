"""The demo's prompts in the store: ``juno`` version 1 is the production system prompt,
version 2 the same prompt plus the account and login policies (the fix). The example
eval files load them with ``load_prompt("juno", version=...)``, so the baseline and fix
experiments each record the version they ran and their diff shows what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evaltui.prompts.template import PromptContent

if TYPE_CHECKING:
    from evaltui.store.db import Store

JUNO = "juno"


def juno_prompt(*, fix: bool) -> PromptContent:
    """The sample bot's chat template: its system prompt, then the customer's message."""
    from evaltui.demo.generate import BASELINE_SYSTEM_PROMPT, FIX_SYSTEM_PROMPT

    system = FIX_SYSTEM_PROMPT if fix else BASELINE_SYSTEM_PROMPT
    return PromptContent(
        [{"role": "system", "content": system}, {"role": "user", "content": "{{input}}"}], params={"temperature": 0}
    )


def add_demo_prompts(store: Store) -> tuple[Any, Any]:
    """Store both versions (unchanged content makes no new version); (baseline, fix)."""
    from evaltui.prompts.versions import add_prompt

    base, _ = add_prompt(store, JUNO, juno_prompt(fix=False), "evaltui.demo (production prompt)")
    fix, _ = add_prompt(store, JUNO, juno_prompt(fix=True), "evaltui.demo (production prompt + account policies)")
    return base, fix
