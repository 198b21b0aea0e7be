"""The sample support bot ("Juno"): the task the demo's evals run.

With a model endpoint configured (``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``) it sends its
system prompt and the conversation to the model (``evaltui.llm``, cached in the store when
given one). Without one it answers offline and deterministically *from what its system
prompt says*: it splits the prompt into policy units (sentences, or ``- Topic: ...``
bullets), picks the unit closest to the customer's message with MiniLM, and composes a
reply in the prompt's voice. So a prompt that adds account and login policies changes the
replies to account questions, and little else: a question the new policies do not match
still gets the policy it got before.

    bot = SupportBot(BASELINE_SYSTEM_PROMPT)     # or SupportBot(load_prompt("juno", version=1))
    bot([{"role": "user", "content": "I'm locked out of my account"}])
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evaltui.config import Settings

# Below this cosine similarity no policy answers the message: the bot says a person will.
MIN_SIMILARITY = 0.36
# A procedure (a bullet of steps) answers only a message this close to it.
STEPS_SIMILARITY = 0.45
# Below this, a policy is only loosely related: the reply stays generic.
SPECIFIC_SIMILARITY = 0.6
# A second policy joins the reply when it is nearly as close as the best one.
SECOND_WITHIN = 0.04

_STEPS_DIRECTIVE = re.compile(r"numbered steps", re.I)
_ENDING_WITH = re.compile(r"ending with (?:the )?([\w\s-]+?)[.\n]", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

_TAILS = ("We appreciate your understanding.", "Thank you for your patience.", "Let us know if there's anything else.")

_FEELINGS = (  # (cue words, acknowledgement)
    (
        ("furious", "ridiculous", "angry", "unacceptable", "unbelievable", "sick of", "worst", "kidding"),
        "I'm really sorry - I understand why you're frustrated, and I want to fix this now.",
    ),
    (
        ("urgent", "asap", "panick", "help!", "stressed", "worried", "hurry", "please help"),
        "Don't worry - we'll get this sorted together.",
    ),
    (
        ("confused", "lost", "don't understand", "not sure", "can't figure", "dumb question"),
        "Happy to walk you through it.",
    ),
    (
        ("great,", "love this", "fantastic", "as always", "perfect", "amazing how"),
        "Fair enough - this hasn't been the experience you deserve. Let me fix it.",
    ),
    (("thank", "appreciate"), "Thanks so much - happy to help!"),
)


@dataclass
class PolicyUnit:
    """One thing the system prompt says: a sentence, or a ``- Title: a; b; c`` bullet."""

    text: str
    title: str | None = None
    clauses: list[str] = field(default_factory=list)


@dataclass
class Prompt:
    """A system prompt, read the way the offline bot uses it."""

    units: list[PolicyUnit]
    acknowledge: bool
    next_step: bool
    human_handoff: bool
    steps: bool  # "answer ... as numbered steps"
    steps_scope: list[PolicyUnit]  # the bullets the steps directive covers
    ending: PolicyUnit | None  # "... ending with the sign-in fallback"

    @classmethod
    def parse(cls, text: str) -> Prompt:
        units: list[PolicyUnit] = []
        bullets: list[PolicyUnit] = []
        directives: list[str] = []
        voice = ""
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith(("- ", "* ")):
                body = line[2:].strip()
                title, sep, rest = body.partition(":")
                clauses = [c.strip() for c in rest.split(";") if c.strip()] if sep else [body]
                unit = PolicyUnit(body, title.strip() if sep else None, clauses)
                bullets.append(unit)
                units.append(unit)
                continue
            if line.lower().startswith("policies:"):
                line = line.split(":", 1)[1]
            for sentence in _SENTENCE_END.split(line):
                sentence = sentence.strip()
                if not sentence or sentence.endswith(":"):
                    continue
                low = sentence.lower()
                if _STEPS_DIRECTIVE.search(sentence):
                    directives.append(sentence)
                elif low.startswith(("you are", "voice:", "always", "never promise")) or "never curt" in low:
                    voice += " " + low
                else:
                    units.append(PolicyUnit(sentence))
        ending = None
        for d in directives:
            m = _ENDING_WITH.search(d + "\n")
            if m:
                wanted = set(m.group(1).lower().replace("-", " ").split())
                ending = next(
                    (b for b in bullets if b.title and wanted <= set(b.title.lower().replace("-", " ").split())), None
                )
        low_text = text.lower()
        return cls(
            units=units,
            acknowledge="acknowledge" in voice,
            next_step="next step" in voice,
            human_handoff="open a ticket" in low_text,
            steps=bool(directives),
            steps_scope=[b for b in bullets if b is not ending],
            ending=ending,
        )


def customer_message(input: Any) -> str:
    """The customer's latest message from a dataset input (a message list or a string)."""
    if isinstance(input, str):
        return input
    if isinstance(input, dict):
        if "messages" in input:
            return customer_message(input["messages"])
        return str(input.get("content") or input.get("input") or "")
    if isinstance(input, list):
        for m in reversed(input):
            if isinstance(m, dict) and m.get("role") == "user":
                return str(m.get("content") or "")
        return str(input[-1].get("content") if input and isinstance(input[-1], dict) else "")
    return "" if input is None else str(input)


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _pick(options: tuple[str, ...] | list[str], key: str) -> str:
    """A deterministic choice by the message's hash (no global random)."""
    return options[int(hashlib.md5(key.encode()).hexdigest()[:8], 16) % len(options)]


class SupportBot:
    """The demo's task: ``bot(input) -> reply``; see the module docstring."""

    def __init__(
        self, system_prompt: Any, *, settings: Settings | None = None, offline: bool | None = None, name: str = "juno"
    ) -> None:
        # A stored prompt (``load_prompt``): its system message; each reply builds it, so the
        # case records the prompt version it ran.
        self.source = system_prompt if hasattr(system_prompt, "build") else None
        if self.source is not None:
            system_prompt = self.source.system_text()
        self.system_prompt = system_prompt
        self.name = name
        self.prompt = Prompt.parse(system_prompt)
        self.prompt_sha = hashlib.sha256(system_prompt.encode()).hexdigest()[:12]
        if offline is None:
            from evaltui.config import get_settings

            s = settings or get_settings()
            offline = not s.llm_configured
        self.offline = offline
        self.settings = settings
        self._unit_vectors: Any = None
        self._generic_vectors: Any = None

    # -- the task ---------------------------------------------------------------

    def __call__(self, input: Any, hooks: Any = None) -> str:
        if hooks is not None:
            hooks.metadata["bot"] = {"mode": "offline" if self.offline else "model", "prompt_sha": self.prompt_sha}
        if self.source is not None:
            self.source.build(input=customer_message(input))
        if self.offline:
            return self.reply(customer_message(input))
        import asyncio

        return asyncio.run(self._model_reply(input))

    async def _model_reply(self, input: Any) -> str:
        from evaltui.config import get_settings
        from evaltui.llm import LLMClient

        s = self.settings or get_settings()
        client = LLMClient.from_settings(s, model=s.task_model)
        history = (
            [m for m in input if isinstance(m, dict) and m.get("role") != "system"]
            if isinstance(input, list)
            else [{"role": "user", "content": customer_message(input)}]
        )
        try:
            result = await client.chat([{"role": "system", "content": self.system_prompt}, *history], temperature=0)
        finally:
            await client.aclose()
        return result.message.content or ""

    # -- offline ----------------------------------------------------------------

    def _vectors(self) -> Any:
        """Per unit, its text's vector and (bullets) its title's: a title says what it is for."""
        if self._unit_vectors is None:
            from evaltui.scoring.embeddings import embed

            units = self.prompt.units
            texts = embed([u.text for u in units])
            titles = embed([u.title or u.text for u in units])
            self._unit_vectors = (texts, titles)
        return self._unit_vectors

    def relevant(self, message: str) -> list[tuple[PolicyUnit, float]]:
        """The policy units that answer ``message``, best first (at most two). The unit a
        steps directive ends with (the fallback) closes replies; it answers nothing alone."""
        from evaltui.scoring.embeddings import embed

        units = self.prompt.units
        if not units or not message.strip():
            return []
        texts, titles = self._vectors()
        v = embed([message])[0]
        sims = [max(float(a), float(b)) if u.title else float(a) for u, a, b in zip(units, texts @ v, titles @ v)]
        order = [i for i in sorted(range(len(sims)), key=lambda i: (-sims[i], i)) if units[i] is not self.prompt.ending]
        if not order or sims[order[0]] < MIN_SIMILARITY:
            return []
        best = sims[order[0]]
        chosen = [(units[order[0]], best)]
        if (
            len(order) > 1
            and sims[order[1]] >= best - SECOND_WITHIN
            and units[order[1]].title is None
            and chosen[0][0].title is None
        ):
            chosen.append((units[order[1]], sims[order[1]]))
        return chosen

    def acknowledgement(self, message: str) -> str:
        if not self.prompt.acknowledge:
            return ""
        low = message.lower()
        for cues, text in _FEELINGS:
            if any(c in low for c in cues):
                return text
        return _pick(("Thanks for reaching out!", "Thanks for the details.", "Sorry about the trouble."), message)

    def reply(self, message: str) -> str:
        """The offline reply to one customer message."""
        chosen = self.relevant(message)
        p = self.prompt
        ack = self.acknowledgement(message)
        if chosen and p.steps and chosen[0][0] in p.steps_scope and chosen[0][1] >= STEPS_SIMILARITY:
            unit = chosen[0][0]
            steps = [_sentence(c) for c in unit.clauses]
            if p.ending is not None:
                steps += [_sentence(c) for c in p.ending.clauses]
            lead = _pick(("Let's get you back in:", "Here's how to sort it out:", "Here's what to do:"), message)
            return lead + "\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
        if not chosen or chosen[0][1] < SPECIFIC_SIMILARITY:
            # Nothing in the prompt answers it well: the thin, generic reply production's bot
            # gave under this prompt (the logs' "mediocre" replies), the closest one.
            return self.generic(message)
        body = " ".join(
            _sentence(u.text if u.title is None else f"{u.title}: {'; '.join(u.clauses)}") for u, _ in chosen
        )
        close = ""
        if p.next_step:
            close = (
                "If that doesn't solve it, reply here and I'll open a ticket for you."
                if p.human_handoff
                else "Reply here if you need anything else."
            )
        return " ".join(x for x in (ack, body, close) if x)

    def generic(self, message: str) -> str:
        from evaltui.scoring.embeddings import embed

        lines = generic_replies()
        if self._generic_vectors is None:
            self._generic_vectors = embed(lines)
        sims = self._generic_vectors @ embed([message])[0]
        best = max(range(len(lines)), key=lambda i: (float(sims[i]), -i))
        return f"{lines[best]} {_pick(_TAILS, message)}"


def generic_replies() -> list[str]:
    """The generic replies the sample bot falls back on (the generator's "mediocre" ones)."""
    from evaltui.demo.texts import _MEDIOCRE

    return [line for lines in _MEDIOCRE.values() for line in lines]


__all__ = ["MIN_SIMILARITY", "PolicyUnit", "Prompt", "SupportBot", "customer_message"]
