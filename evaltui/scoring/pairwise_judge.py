"""The pairwise LLM judge: a rubric's criteria, two outputs of the same case, which is better.

The rubric's own prompt is kept (its criteria, the case's input); where it shows the one
output it shows both, as ``[Reply 1]`` and ``[Reply 2]``, and the judge answers ``1``,
``2`` or ``tie`` through the same forced tool call, response cache and retries as
``LLMJudge``. ``judge_both_orders`` asks twice, the outputs in one order and then the
other, so a grade that follows the order rather than the outputs shows.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, replace
from typing import Any

from evaltui.llm import LLMClient, LLMError
from evaltui.scoring.judge import LLMJudge
from evaltui.scoring.protocol import ScorerError
from evaltui.scoring.rubric import Rubric, as_text, load_rubric

PAIRWISE_INSTRUCTIONS = """

This time you are not grading one reply: you are comparing two replies to the same case, shown
above as [Reply 1] and [Reply 2]. Judge them by the criteria above only; which one is shown first,
and how long each is, say nothing about which is better. Choose 1 if Reply 1 is better, 2 if
Reply 2 is better, tie if neither is clearly better."""
CHOICES = {"1": 1.0, "tie": 0.5, "2": 0.0}
# A reply that cannot be read (malformed JSON, no choice) is asked for again this many times;
# 429, 5xx and timeouts are the client's to retry.
UNREADABLE_RETRIES = 2


def replies(first: Any, second: Any) -> str:
    """Both outputs where the rubric shows its one output."""
    return f"[Reply 1]\n{as_text(first)}\n\n[Reply 2]\n{as_text(second)}\n[End of replies]"


def pairwise_rubric(rubric: Rubric) -> Rubric:
    """The rubric turned into a pairwise one: same criteria, choices 1 / tie / 2, its own version."""
    prompt = rubric.prompt
    if "{{output}}" not in prompt.replace(" ", "") and "{{transcript}}" not in prompt.replace(" ", ""):
        prompt += "\n\n{{output}}"  # a rubric that never shows the output: show both after it
    prompt += PAIRWISE_INSTRUCTIONS
    version = hashlib.sha256(f"{rubric.version}\n{PAIRWISE_INSTRUCTIONS}".encode()).hexdigest()[:12]
    return replace(rubric, prompt=prompt, choices=dict(CHOICES), version=version)


@dataclass
class Verdict:
    """One order's answer, as the side it prefers: base | candidate | tie."""

    side: str
    rationale: str
    cached: bool


class PairwiseJudge:
    """Compares two outputs of one case with a rubric through an LLM (see module doc)."""

    def __init__(self, rubric: Rubric | str, client: LLMClient, *, model: str | None = None) -> None:
        base = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
        self.rubric = pairwise_rubric(base)
        self.judge = LLMJudge(self.rubric, client, model=model)
        self.client = client
        self.name = base.name
        self.key = base.key

    @property
    def model(self) -> str:
        return self.judge.model

    @property
    def version(self) -> str:
        return f"pairwise-{self.judge.version}"

    async def ask(self, case: dict[str, Any], first: str) -> Verdict:
        """The verdict with ``first`` (base | candidate) shown as Reply 1. ScorerError when
        the endpoint fails for good or its reply cannot be read after retries."""
        second = "candidate" if first == "base" else "base"
        text = replies(case[f"{first}_output"], case[f"{second}_output"])
        messages, params = self.judge.request(
            input=case.get("input"), output=text, expected=case.get("expected"), metadata=case.get("metadata")
        )
        last = ""
        for _ in range(1 + UNREADABLE_RETRIES):
            try:
                # parse() as the check: an unreadable reply is never cached, so asking again asks the model
                result = await self.client.chat(
                    messages, model=self.model, check=lambda c: self.judge.parse(c.choices[0].message), **params
                )
            except LLMError as exc:
                if exc.kind != "malformed":
                    raise ScorerError(f"{self.name} (pairwise): {exc}") from None
                last = str(exc)
                continue
            except ScorerError as exc:
                last = str(exc)
                continue
            choice, reasons = self.judge.parse(result.message)
            side = {"1": first, "2": second}.get(choice, "tie")
            return Verdict(side, reasons, result.cached)
        raise ScorerError(f"{last} (asked {1 + UNREADABLE_RETRIES} times)")

    async def both_orders(self, case: dict[str, Any], first: str) -> tuple[Verdict, Verdict]:
        """The verdicts with ``first`` shown first and then with the other side first."""
        other = "candidate" if first == "base" else "base"
        one, two = await asyncio.gather(self.ask(case, first), self.ask(case, other), return_exceptions=True)
        for outcome in (one, two):
            if isinstance(outcome, BaseException):
                raise outcome
        assert isinstance(one, Verdict) and isinstance(two, Verdict)
        return one, two
