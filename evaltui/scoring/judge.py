"""The LLM judge: a rubric, a model, a choice with its rationale.

The model is asked to call a ``select_choice`` tool (forced, the choice constrained to the
rubric's labels), reasoning step by step in ``reasons`` before it chooses. A server that
answers in text instead is read as JSON (``{"reasons": ..., "choice": ...}``). Anything
else (a transport failure, no choice, a choice outside the rubric) raises ScorerError with
the reason: the span is marked, the run goes on.
"""

from __future__ import annotations

import json
import re
from typing import Any

from evaltui.llm import LLMClient, LLMError, request_key
from evaltui.scoring.protocol import Score, ScorerError
from evaltui.scoring.rubric import Rubric, load_rubric

TOOL_NAME = "select_choice"
_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


class LLMJudge:
    """A scorer (per evaltui's protocol) grading with a rubric through an LLM.

    >>> judge = LLMJudge("brand_alignment", LLMClient.from_settings(cache=LLMCache(store)))  # doctest: +SKIP
    >>> await judge(input="Where is my order?", output="Sorry about the wait! ...")  # doctest: +SKIP
    Score(name='Brand Alignment', score=1.0, label='A', rationale='...')
    """

    def __init__(self, rubric: Rubric | str, client: LLMClient, *, model: str | None = None) -> None:
        self.rubric = rubric if isinstance(rubric, Rubric) else load_rubric(rubric)
        self.client = client
        self.model = model or self.rubric.model or client.model
        self.name = self.rubric.name

    @property
    def version(self) -> str:
        """The rubric's content hash and the model: a change to either is a new version."""
        return f"{self.rubric.version}+{self.model}"

    def request(
        self, *, input: Any = None, output: Any = None, expected: Any = None, metadata: dict[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The chat messages and parameters this judge sends for one case."""
        labels = list(self.rubric.choices)
        prompt = self.rubric.render(input=input, output=output, expected=expected, metadata=metadata)
        instructions = (
            f"\n\nThink step by step about the criteria, then answer by calling {TOOL_NAME} with your "
            f'reasoning in "reasons" and one of {", ".join(labels)} as "choice". If you cannot call '
            f'tools, reply with only a JSON object: {{"reasons": "...", "choice": "{labels[0]}"}}.'
        )
        messages = [{"role": "user", "content": prompt + instructions}]
        params = {
            "temperature": self.rubric.temperature,
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": TOOL_NAME,
                        "description": "Record your reasoning, then your choice.",
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "reasons": {
                                    "type": "string",
                                    "description": "Step-by-step reasoning, before choosing.",
                                },
                                "choice": {"type": "string", "enum": labels},
                            },
                            "required": ["reasons", "choice"],
                        },
                    },
                }
            ],
            "tool_choice": {"type": "function", "function": {"name": TOOL_NAME}},
        }
        return messages, params

    def prefetch(self, cases: list[dict[str, Any]]) -> int:
        """Look up a batch of cases (dicts of input/output/expected/metadata) in the response
        cache with one query; returns how many are cached."""
        cache = self.client.cache
        if cache is None or not self.client.use_cache:
            return 0
        keys = []
        for case in cases:
            messages, params = self.request(
                input=case.get("input"),
                output=case.get("output"),
                expected=case.get("expected"),
                metadata=case.get("metadata"),
            )
            keys.append(request_key(self.model, messages, params))
        return cache.prefetch(keys)

    async def __call__(
        self, input: Any = None, output: Any = None, expected: Any = None, metadata: dict[str, Any] | None = None
    ) -> Score:
        messages, params = self.request(input=input, output=output, expected=expected, metadata=metadata)
        try:
            # parse() as the check: an unreadable reply is never cached, so a re-run asks again
            result = await self.client.chat(
                messages, model=self.model, check=lambda c: self.parse(c.choices[0].message), **params
            )
        except LLMError as exc:
            raise ScorerError(f"{self.name}: {exc}") from None
        choice, reasons = self.parse(result.message)
        return Score(
            self.name,
            self.rubric.choices[choice],
            label=choice,
            rationale=reasons,
            metadata={
                "rubric": self.rubric.key,
                "rubric_version": self.rubric.version,
                "model": self.model,
                "cached": result.cached,
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
            },
        )

    def parse(self, message: Any) -> tuple[str, str]:
        """(choice, reasons) from the reply message; ScorerError with the reason otherwise."""
        calls = getattr(message, "tool_calls", None) or []
        for call in calls:
            fn = getattr(call, "function", None)
            if fn is None or fn.name != TOOL_NAME:
                continue
            try:
                args = json.loads(fn.arguments or "")
            except ValueError:
                raise ScorerError(f"{self.name}: the {TOOL_NAME} tool call's arguments are not JSON") from None
            return self._checked(args, "tool call")
        content = getattr(message, "content", None) or ""
        args = _json_object(content)
        if args is not None:
            return self._checked(args, "JSON reply")
        bare = content.strip().strip(".").strip()
        if bare in self.rubric.choices:
            return bare, ""
        shown = " ".join(content.split())[:80]
        raise ScorerError(
            f"{self.name}: the reply has no {TOOL_NAME} tool call and no JSON choice"
            + (f" (it said: {shown!r})" if shown else " (it was empty)")
        )

    def _checked(self, args: Any, where: str) -> tuple[str, str]:
        if not isinstance(args, dict) or "choice" not in args:
            raise ScorerError(f'{self.name}: the {where} has no "choice"')
        choice = str(args["choice"]).strip()
        if choice not in self.rubric.choices:
            folded = {c.lower(): c for c in self.rubric.choices}
            if choice.lower() not in folded:
                raise ScorerError(
                    f"{self.name}: the {where} chose {choice!r}, not one of {', '.join(self.rubric.choices)}"
                )
            choice = folded[choice.lower()]
        reasons = args.get("reasons") or args.get("rationale") or ""
        return choice, str(reasons)


def _json_object(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    candidates = [text]
    candidates += _FENCE.findall(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
