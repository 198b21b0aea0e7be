"""A stand-in LLM judge for the loopback server: it reads the prompt it is sent.

``DemoJudge`` is a ``FakeOpenAI`` responder for the demo's Brand Alignment rubric. Like a
real model it only sees the request, and it reacts to what the prompt really contains:

- a grading request (a forced tool call with an enum of choices) that carries graded
  examples (``<example grade="A"> ... </example>`` blocks, as ``evaltui align`` writes
  them) is graded like the examples of the same kind as the reply under review (the kinds
  below): the grade most of them have, the nearest one (word overlap) breaking a tie;
- without examples, or none of the reply's kind, it grades by its built-in rule, which has
  the demo's production judge's
  habits: it recognises curt, blaming, wrong or off-brand replies and vague ones from the
  demo bot's phrases, and, its blind spot, grades numbered step-by-step replies down for
  being "procedural" (whatever the rubric says about steps), drawing each grade with the
  production judge's odds (``evaltui.demo.texts._JUDGE_DIST``) by a hash of the prompt
  (examples left out);
- a request without tools that carries a rubric between ``<rubric>`` tags (a request to
  propose a rubric edit) is answered with that rubric plus one sentence of guidance drawn
  from the disagreements listed in it;
- anything else goes to ``default_responder``.

Nothing in a request tells it which answer a test wants: tests see only what a model that
learns from examples in its prompt would do.

    with FakeOpenAI(responder=DemoJudge()) as server: ...
    python -m evaltui.testing.fake_openai --judge demo
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from evaltui.testing.fake_openai import Reply, _tool_enum, default_responder

_EXAMPLE = re.compile(r'<example grade="([^"]+)">(.*?)</example>', re.S)
_RUBRIC = re.compile(r"<rubric>(.*?)</rubric>", re.S)
_REPLY_HEADER = re.compile(r"^\s*\[[^\]\n]*repl[^\]\n]*\]\s*$", re.I | re.M)
_GRADE_LINE = re.compile(r"^\s*Grade\b", re.M)
_NUMBERED = re.compile(r"^\s*\d+[.)]\s", re.M)
_WORD = re.compile(r"[a-z0-9']+")
_SLOT = re.compile(r"\{[^}]*\}")


def reply_under_review(text: str) -> str:
    """The reply a prompt (or an example) asks about: the text after its last ``[... reply]``
    header, up to a line starting with "Grade" or the end."""
    headers = list(_REPLY_HEADER.finditer(text))
    if not headers:
        return text
    rest = text[headers[-1].end() :]
    stop = _GRADE_LINE.search(rest)
    return (rest[: stop.start()] if stop else rest).strip()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@cache
def _phrases() -> dict[str, tuple[str, ...]]:
    """kind -> the fixed pieces of the demo bot's replies of that kind (slots cut out)."""
    from evaltui.demo import texts

    def pieces(templates: Any) -> tuple[str, ...]:
        out = []
        for template in templates:
            longest = max(_SLOT.split(template), key=len).strip()
            if len(longest) >= 10:
                out.append(longest.lower())
        return tuple(out)

    bad_by_mode: dict[str, dict[str, tuple[str, ...]]] = texts._BAD
    bad = [t for by_topic in bad_by_mode.values() for ts in by_topic.values() for t in ts]
    mediocre = [t for ts in texts._MEDIOCRE.values() for t in ts]
    return {"bad": pieces(bad), "mediocre": pieces(mediocre)}


def built_in_kind(reply: str) -> str:
    """What the built-in rule takes a reply for: recovery (numbered steps), bad, mediocre or good."""
    if len(_NUMBERED.findall(reply)) >= 2:
        return "recovery"
    low = reply.lower()
    for kind in ("bad", "mediocre"):
        if any(p in low for p in _phrases()[kind]):
            return kind
    return "good"


def built_in_grade(reply: str, choices: list[str], case: str | None = None) -> tuple[str, str]:
    """(choice, reasons) by the built-in rule, with the production judge's odds per kind,
    drawn by a hash of the whole case (``case``, default the reply): like a model at
    temperature 0, the same prompt always gets the same grade, another prompt may not."""
    from evaltui.demo.texts import _JUDGE_DIST

    kind = built_in_kind(reply)
    draw = int(hashlib.sha256((case or reply).encode()).hexdigest()[:8], 16) / 16**8
    grade = next(g for cum, g in _JUDGE_DIST[kind] if draw < cum)
    if grade not in choices:
        grade = choices[0]
    reasons = {
        "recovery": "A procedural checklist; it reads impersonal.",
        "bad": "Off-brand or wrong.",
        "mediocre": "Generic; no concrete next step.",
        "good": "Warm, specific, with a next step.",
    }[kind]
    return grade, reasons


class DemoJudge:
    """The responder (see the module docstring). ``requests_with_examples`` counts the
    grading requests it answered from examples."""

    def __init__(self) -> None:
        self.requests_with_examples = 0

    def __call__(self, request: dict[str, Any]) -> Reply:
        prompt = "\n".join(str(m.get("content") or "") for m in request.get("messages") or [] if isinstance(m, dict))
        choices = _tool_enum(request)
        if choices:
            examples = [(g, reply_under_review(body)) for g, body in _EXAMPLE.findall(prompt)]
            examples = [(g, r) for g, r in examples if g in choices]
            case = _EXAMPLE.sub("", prompt)
            reply = reply_under_review(case)
            kind = built_in_kind(reply)
            alike = [(g, r) for g, r in examples if built_in_kind(r) == kind]
            if examples:
                self.requests_with_examples += 1
            if alike:
                words = _words(reply)
                votes = {g: sum(1 for h, _ in alike if h == g) for g, _ in alike}
                nearest = {g: max(_overlap(words, _words(r)) for h, r in alike if h == g) for g in votes}
                grade = max(votes, key=lambda g: (votes[g], nearest[g]))
                return Reply(choice=grade, reasons=f"Graded like the {votes[grade]} similar example(s) ({grade}).")
            grade, reasons = built_in_grade(reply, choices, case)
            return Reply(choice=grade, reasons=reasons)
        rubric = _RUBRIC.search(prompt)
        if rubric and not request.get("tools"):
            return Reply(content=_proposed_edit(rubric.group(1).strip(), prompt[rubric.end() :]))
        return default_responder(request)


def _proposed_edit(rubric: str, disagreements: str) -> str:
    """The rubric with one sentence of guidance: the grade people gave most in the listed cases."""
    grades = re.findall(r"people:\s*([A-Za-z0-9]+)", disagreements)
    if not grades:
        return rubric
    common = max(sorted(set(grades)), key=grades.count)
    note = (
        f"\n\nReviewers often graded {common} where an earlier judge did not; weigh what the reply does for "
        f"the customer over how it is formatted."
    )
    first_section = re.search(r"^\s*\[", rubric, re.M)  # before the case the rubric grades
    if first_section is None:
        return rubric + note
    return rubric[: first_section.start()].rstrip() + note + "\n\n" + rubric[first_section.start() :].lstrip()
