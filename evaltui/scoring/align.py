"""Aligning an LLM judge to its humans: candidate rubric versions, chosen on one part of
the human labels and measured on another.

``align(store, "brand_alignment", client)``:

1. splits the spans people labelled for the rubric into a dev and a test part (seeded: a
   hash of the seed and the span id, so the same labels split the same way);
2. scores both parts with the current rubric;
3. builds candidates from the dev part only: few-shot versions (graded examples, half
   chosen from the dev disagreements, the judge's most common kind of miss first, half
   agreed examples of each grade) and, unless told not to, a rubric edit the model
   proposes from the dev disagreements;
4. scores both parts with each candidate and picks the one with the best dev kappa (the
   current version unless a candidate beats it);
5. reports every version's agreement on the test part (kappa with its 95% CI, per topic
   and group), and saves the best as a rubric file: a new rubric version, so a new scorer
   version that ``evaltui score``, ``rescore`` and ``diff`` use as any other.

No label, note or example of the test part is ever put in a prompt: test spans are only
ever the case under review.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evaltui.scoring import agreement
from evaltui.scoring.errors import ScorerSetupError
from evaltui.scoring.protocol import ScorerError
from evaltui.scoring.rubric import Rubric, as_text, load_rubric, parse_rubric

if TYPE_CHECKING:
    from evaltui.config import Settings
    from evaltui.store.db import Store

SHOTS = (4, 8, 16)
# Fewer labels than this and a dev/test split says nothing: refuse, saying so.
MIN_LABELS = 10
EXAMPLES_HEADER = "Examples graded by people (grade the reply below the way they graded these):"
_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}")


@dataclass
class AlignOptions:
    seed: int = 0
    test_share: float = 0.5
    shots: tuple[int, ...] = SHOTS
    propose_edit: bool = True
    save_dir: Path | None = None  # where the chosen rubric is written (default: rubrics/ beside the db)


@dataclass
class Candidate:
    name: str
    rubric: Rubric
    note: str = ""
    example_ids: list[str] = field(default_factory=list)
    content: str = ""  # the rubric file's text (its hash is the version)


def split(ids: list[str], seed: int, test_share: float) -> tuple[list[str], list[str]]:
    """(dev, test): a span is in the test part when a hash of (seed, id) falls below the share."""

    def draw(i: str) -> float:
        return int(hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:12], 16) / 16**12

    dev = [i for i in ids if draw(i) >= test_share]
    test = [i for i in ids if draw(i) < test_share]
    return dev, test


def _text(value: Any) -> str:
    if isinstance(value, list):  # a chat history: its last user message
        users = [m.get("content") for m in value if isinstance(m, dict) and m.get("role") == "user"]
        return as_text(users[-1] if users else value)
    return as_text(value)


def render_example(example: dict[str, Any], grade: str) -> str:
    """One graded example as a few-shot rubric carries it."""
    return (
        f'<example grade="{grade}">\n[Customer message]\n{_text(example["input"])}\n\n'
        f"[Reply]\n{_text(example['output'])}\n</example>"
    )


def with_examples(rubric: Rubric, examples: list[tuple[dict[str, Any], str]], note: str) -> tuple[Rubric, str]:
    """The rubric with a block of graded examples before the case it grades (before its
    first placeholder), as a new rubric file's content (so a new version)."""
    block = "\n\n".join(render_example(e, g) for e, g in examples)
    prompt = rubric.prompt
    first = _PLACEHOLDER.search(prompt)
    cut = prompt.rfind("\n\n", 0, first.start()) if first else -1
    cut = len(prompt) if cut < 0 else cut
    new_prompt = f"{prompt[:cut].rstrip()}\n\n{EXAMPLES_HEADER}\n\n{block}\n\n{prompt[cut:].lstrip()}"
    return rubric_from(rubric, new_prompt, note)


def rubric_from(rubric: Rubric, prompt: str, note: str) -> tuple[Rubric, str]:
    """A rubric like ``rubric`` with another prompt, and the YAML it is saved as (parsed
    from that text, so its version is the saved file's)."""
    content = rubric_yaml(rubric, prompt, f"{rubric.name}, aligned by evaltui align: {note}")
    return parse_rubric(content.encode(), f"{rubric.key}.yaml"), content


def rubric_yaml(rubric: Rubric, prompt: str | None = None, note: str = "") -> str:
    import yaml

    class _Block(yaml.SafeDumper):
        pass

    def text(dumper: Any, value: str) -> Any:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Block.add_representer(str, text)
    data: dict[str, Any] = {
        "name": rubric.name,
        "scope": rubric.scope,
        "description": rubric.description,
        "prompt": (prompt if prompt is not None else rubric.prompt).rstrip() + "\n",
        "choices": dict(rubric.choices),
    }
    if rubric.model:
        data["model"] = rubric.model
    if rubric.temperature:
        data["temperature"] = rubric.temperature
    head = f"# {note}\n" if note else ""
    return head + yaml.dump(data, Dumper=_Block, sort_keys=False, allow_unicode=True, width=100)


def pick_examples(
    dev: list[dict[str, Any]], judged: dict[str, str], scale: dict[str, float], k: int
) -> list[tuple[dict[str, Any], str]]:
    """``k`` graded dev examples: half from the disagreements, the most common kind of
    disagreement first (a confusion cell many labels fall in is a habit of the judge worth
    showing; a lone one may be a labelling slip), half agreed examples, a grade at a time,
    so the examples also show what the judge already grades as people do."""

    def order(e: dict[str, Any]) -> str:
        return hashlib.sha256(str(e["id"]).encode()).hexdigest()

    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    agreed: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(dev, key=order):
        human, machine = e["label"], judged.get(e["id"])
        if machine is None or human is None:
            continue
        if human == machine:
            agreed.setdefault(human, []).append(e)
        else:
            cells.setdefault((human, machine), []).append(e)
    ranked = sorted(cells, key=lambda c: (-len(cells[c]), -abs(scale.get(c[0], 0) - scale.get(c[1], 0)), c))
    missed = [(e, c[0]) for c in ranked for e in cells[c]]
    half = (k + 1) // 2
    chosen = missed[:half]
    depth = 0
    grades = [g for g in scale if agreed.get(g)]
    while len(chosen) < k and any(depth < len(agreed[g]) for g in grades):
        for g in grades:
            if depth < len(agreed[g]) and len(chosen) < k:
                chosen.append((agreed[g][depth], g))
        depth += 1
    if len(chosen) < k:  # few agreements: more disagreements
        chosen += missed[half : half + k - len(chosen)]
    return chosen


def edit_request(rubric: Rubric, disagreements: list[tuple[dict[str, Any], str, str]]) -> list[dict[str, Any]]:
    """The chat messages asking the model for a revised rubric, from dev disagreements
    (example, human grade, judge grade)."""
    cases = "\n".join(
        f"- judge: {machine}, people: {human}. Reply: {_text(e['output'])[:400]!r}"
        + (f" People's note: {e['note']!r}" if e.get("note") else "")
        for e, human, machine in disagreements
    )
    return [
        {
            "role": "user",
            "content": (
                "You maintain the rubric of an LLM judge. People disagreed with the judge on the cases listed after the "
                "rubric. Propose a revised rubric that would grade them as people did. Reply with only the revised rubric "
                "text, keeping every {{placeholder}} it uses.\n\n"
                f"<rubric>\n{rubric.prompt}\n</rubric>\n\nCases where people disagreed with the judge:\n{cases}"
            ),
        }
    ]


def _clean_edit(text: str) -> str:
    text = text.strip()
    fence = re.match(r"^```[\w-]*\n(.*?)\n```$", text, re.S)
    return fence.group(1) if fence else text


async def _grade(
    rubric: Rubric, client: Any, examples: list[dict[str, Any]]
) -> tuple[dict[str, tuple[float, str | None, str]], int]:
    """id -> (score, label, rationale) of each example under ``rubric``; and the errors."""
    from evaltui.scoring.judge import LLMJudge

    judge = LLMJudge(rubric, client)
    judge.prefetch([{"input": e["input"], "output": e["output"]} for e in examples])

    async def one(e: dict[str, Any]) -> tuple[str, Any]:
        try:
            return e["id"], await judge(input=e["input"], output=e["output"])
        except ScorerError as exc:
            return e["id"], exc

    out: dict[str, tuple[float, str | None, str]] = {}
    errors = 0
    for target, s in await asyncio.gather(*(one(e) for e in examples)):
        if isinstance(s, ScorerError):
            errors += 1
        else:
            out[target] = (s.score, s.label, s.rationale or "")
    return out, errors


def _pairs(examples: list[dict[str, Any]], graded: dict[str, tuple[float, str | None, str]]) -> list[dict[str, Any]]:
    return [
        {
            "target_id": e["id"],
            "topic": e["topic"] or "(unassigned)",
            "score": graded[e["id"]][0],
            "label": graded[e["id"]][1],
            "human_score": e["score"],
            "human_label": e["label"],
            "rationale": graded[e["id"]][2],
            "human_note": e.get("note"),
        }
        for e in examples
        if e["id"] in graded
    ]


def _brief(rep: dict[str, Any]) -> dict[str, Any]:
    def part(a: dict[str, Any]) -> dict[str, Any]:
        return {
            "n": a["n"],
            "accuracy": a["accuracy"],
            "kappa": a["kappa"],
            "kappa_ci": a["kappa_ci"],
            "tpr": a["pass_fail"]["tpr"],
            "tnr": a["pass_fail"]["tnr"],
        }

    return {
        "overall": part(rep["overall"]),
        "by_topic": {t: part(a) for t, a in rep["by_topic"].items()},
        "by_group": {g: part(a) for g, a in rep.get("by_group", {}).items()},
    }


def align(
    store: Store,
    scorer: str,
    client: Any,
    *,
    options: AlignOptions | None = None,
    settings: Settings | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Align the LLM judge of rubric ``scorer`` (a built-in name or a rubric file) to the
    human labels in ``store``; see the module docstring. Returns the report (``--json``)."""
    from evaltui.config import get_settings
    from evaltui.scoring.judge import LLMJudge
    from evaltui.store.calibration_pairs import calibration_pairs, labelled_examples, scorer_versions, topic_groups
    from evaltui.store.scoring import ScoreWrite, write_scores

    opts = options or AlignOptions()
    rubric = load_rubric(scorer)
    scale = dict(rubric.choices)
    threshold = (settings or get_settings()).threshold(rubric.key)
    groups = topic_groups(store)
    examples = [e for e in labelled_examples(store, rubric.key, ("human",)) if e["label"] in scale]
    if len(examples) < MIN_LABELS:
        raise ScorerSetupError(
            f"{len(examples)} human labels of {rubric.key} with one of its grades "
            f"({', '.join(scale)}): align needs at least {MIN_LABELS}; label more first"
        )
    by_id = {e["id"]: e for e in examples}
    dev_ids, test_ids = split(sorted(by_id), opts.seed, opts.test_share)
    if len(dev_ids) < 2 or len(test_ids) < 2:
        raise ScorerSetupError(
            f"the {len(examples)} labels split into {len(dev_ids)} dev and {len(test_ids)} test: change --test-share"
        )
    dev, test = [by_id[i] for i in dev_ids], [by_id[i] for i in test_ids]

    # the versions already stored (e.g. the production judge's own grades), on the same test part
    stored = []
    for version, _, _ in scorer_versions(store, rubric.key):
        pairs = [
            r for r in calibration_pairs(store, rubric.key, version, rubric.key) if r["target_id"] in set(test_ids)
        ]
        if pairs:
            stored.append({"version": version, "test": _brief(agreement.report(pairs, scale, threshold, groups))})

    async def run() -> dict[str, Any]:
        try:
            return await _run()
        finally:
            await client.aclose()

    async def _run() -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        graded_by: dict[str, dict[str, tuple[float, str | None, str]]] = {}

        async def measure(c: Candidate) -> dict[str, Any]:
            echo(f"scoring {len(dev)} dev and {len(test)} test labels with {c.name}")
            graded, errors = await _grade(c.rubric, client, dev + test)
            graded_by[c.name] = graded
            row = {
                "name": c.name,
                "version": LLMJudge(c.rubric, client).version,
                "note": c.note,
                "examples": len(c.example_ids),
                "example_ids": c.example_ids,
                "errors": errors,
                "dev": _brief(agreement.report(_pairs(dev, graded), scale, threshold, groups)),
                "test": _brief(agreement.report(_pairs(test, graded), scale, threshold, groups)),
            }
            rows.append(row)
            return row

        current = Candidate("current", rubric, f"the rubric as it is ({rubric.source})")
        await measure(current)
        judged = {i: (g[1] or "") for i, g in graded_by["current"].items()}
        candidates: list[Candidate] = []
        for k in opts.shots:
            picked = pick_examples(dev, judged, scale, k)
            if not picked:
                continue
            name = f"few-shot-{len(picked)}"
            if any(c.name == name for c in candidates):
                continue
            missed = sum(judged.get(e["id"]) != g for e, g in picked)
            note = f"{len(picked)} graded examples from the dev part, {missed} the judge got wrong (seed {opts.seed})"
            new, content = with_examples(rubric, picked, note)
            candidates.append(Candidate(name, new, note, [e["id"] for e, _ in picked], content))
        if opts.propose_edit:
            edit = await _proposed_edit(rubric, client, dev, judged, scale, opts.seed)
            if isinstance(edit, Candidate):
                candidates.append(edit)
            else:
                echo(edit)
        for c in candidates:
            await measure(c)
        best = max(rows, key=lambda r: (r["dev"]["overall"]["kappa"] or -2, r["name"] == "current"))
        saved = None
        if best["name"] != "current":
            chosen = next(c for c in candidates if c.name == best["name"])
            saved = save_rubric(chosen.content, rubric.key, chosen.rubric.version, opts.save_dir or _default_dir(store))
            writes = []
            for name, version in (("current", rows[0]["version"]), (best["name"], best["version"])):
                for target, (score, label, why) in graded_by[name].items():
                    writes.append(
                        ScoreWrite(
                            target_id=target,
                            root_id=by_id[target]["root_id"],
                            scorer=rubric.name,
                            scorer_version=version,
                            score=score,
                            label=label,
                            rationale=why,
                            source="online",
                            metadata={"rubric": rubric.key, "aligned_by": "align", "candidate": name},
                        )
                    )
            write_scores(store, writes)
        return {
            "scorer": rubric.key,
            "rubric": rubric.source,
            "seed": opts.seed,
            "threshold": threshold,
            "stored": stored,
            "dev": len(dev),
            "test": len(test),
            "test_ids": test_ids,
            "candidates": rows,
            "best": best["name"],
            "best_version": best["version"],
            "saved": str(saved) if saved else None,
        }

    return asyncio.run(run())


async def _proposed_edit(
    rubric: Rubric, client: Any, dev: list[dict[str, Any]], judged: dict[str, str], scale: dict[str, float], seed: int
) -> Candidate | str:
    """The model's rubric edit as a candidate, or why there is none (one line)."""
    from evaltui.llm import LLMError

    misses = [(e, e["label"], judged[e["id"]]) for e in dev if judged.get(e["id"]) and judged[e["id"]] != e["label"]]
    misses.sort(key=lambda m: (-abs(scale.get(m[1], 0) - scale.get(m[2], 0)), str(m[0]["id"])))
    if not misses:
        return "no dev disagreements: no rubric edit proposed"
    try:
        result = await client.chat(edit_request(rubric, misses[:20]), temperature=0)
    except LLMError as exc:
        return f"no rubric edit: {exc}"
    text = _clean_edit(getattr(result.message, "content", None) or "")
    needed = set(_PLACEHOLDER.findall(rubric.prompt))
    if not text or not needed <= set(_PLACEHOLDER.findall(text)):
        return "the proposed rubric edit dropped a {{placeholder}} of the rubric: left out"
    note = f"a rubric edit the model proposed from {min(len(misses), 20)} dev disagreements (seed {seed})"
    new, content = rubric_from(rubric, text, note)
    return Candidate("proposed-edit", new, note, content=content)


def save_rubric(content: str, key: str, version: str, folder: Path) -> Path:
    """Write a rubric file ``KEY-VERSION.yaml`` in ``folder`` (the same content, the same name)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}-{version}.yaml"
    path.write_text(content, encoding="utf-8")
    return path


def _default_dir(store: Store) -> Path:
    path = getattr(store, "path", None)
    return (Path(path).parent if path else Path.cwd()) / "rubrics"
