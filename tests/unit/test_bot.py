"""The offline sample bot: replies follow its system prompt, deterministically."""

from __future__ import annotations

import pytest

from evaltui.demo.bot import Prompt, SupportBot, customer_message
from evaltui.demo.generate import BASELINE_SYSTEM_PROMPT, FIX_SYSTEM_PROMPT

ACCOUNT = [
    "I forgot my password and the reset email never came.",
    "It says my account has been temporarily locked. Why?",
    "My two-factor codes aren't coming through so I can't log in.",
    "How do I change the email on my account?",
]
OTHER = [
    "Is there a warranty on the enamel Dutch oven?",
    "Can I change the delivery address on my order?",
    "How much is shipping for an order of about $80?",
    "My card was charged twice for order #JL-123456.",
    "How do I return the linen duvet cover? It's not what I expected.",
]


@pytest.fixture(scope="module")
def bots():
    return SupportBot(BASELINE_SYSTEM_PROMPT, offline=True), SupportBot(FIX_SYSTEM_PROMPT, offline=True)


def test_prompt_parsing_finds_policies_and_the_steps_directive():
    base, fix = Prompt.parse(BASELINE_SYSTEM_PROMPT), Prompt.parse(FIX_SYSTEM_PROMPT)
    assert not base.steps and fix.steps
    assert fix.ending is not None and fix.ending.title == "Sign-in fallback"
    assert any(u.title == "Locked account" for u in fix.units)
    assert base.acknowledge and base.human_handoff


def test_account_policies_change_account_replies_into_numbered_steps(bots):
    base, fix = bots
    for message in ACCOUNT:
        before, after = base.reply(message), fix.reply(message)
        assert before != after
        assert "\n1. " in after and "verify your identity" in after  # ends with the fallback
        assert "\n1. " not in before


def test_account_policies_leave_other_replies_alone(bots):
    base, fix = bots
    same = sum(base.reply(m) == fix.reply(m) for m in OTHER)
    assert same == len(OTHER)


def test_replies_are_deterministic_and_take_the_last_customer_message():
    bot = SupportBot(FIX_SYSTEM_PROMPT, offline=True)
    history = [
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": ACCOUNT[1]},
    ]
    assert customer_message(history) == ACCOUNT[1]
    assert bot(history) == SupportBot(FIX_SYSTEM_PROMPT, offline=True)(ACCOUNT[1])
