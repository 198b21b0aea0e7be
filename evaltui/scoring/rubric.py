"""Rubric files (YAML or TOML): the prompt and the choices of an LLM judge.

    name: Brand Alignment          # the score's name ("Brand Alignment" -> brand_alignment)
    scope: turn                    # what it grades by default: turn | conversation | all
    prompt: |
      ... {{input}} ... {{output}} ... {{expected}} ... {{metadata.topic}} ... {{transcript}}
    choices: {A: 1.0, B: 0.5, C: 0.0}
    model: gpt-4o-mini             # optional; else the judge_model setting
    temperature: 0                 # optional

A rubric's version is a hash of its file's content, so editing it makes a new scorer
version and earlier scores stay, tagged with the old one.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath
from typing import Any

from evaltui.errors import EvaltuiError
from evaltui.model import scorer_key

RUBRICS_DIR: Traversable = resources.files("evaltui.scoring") / "rubrics"  # package data: ships in the wheel
_VAR = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")


class RubricError(EvaltuiError, ValueError):
    """A rubric file that cannot be used; the message says which and why, in one line."""


@dataclass(frozen=True)
class Rubric:
    name: str
    prompt: str
    choices: dict[str, float]  # label -> score, in the file's order (best first, usually)
    version: str
    scope: str = "all"
    description: str = ""
    model: str | None = None
    temperature: float = 0.0
    source: str = ""  # the file it came from
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return scorer_key(self.name)

    def render(
        self, *, input: Any = None, output: Any = None, expected: Any = None, metadata: dict[str, Any] | None = None
    ) -> str:
        values = {
            "input": input,
            "output": output,
            "expected": expected,
            "metadata": metadata or {},
            "transcript": transcript(input, output),
        }

        def sub(m: re.Match[str]) -> str:
            head, *rest = m.group(1).split(".")
            if head not in values:
                return m.group(0)
            value = values[head]
            for part in rest:
                value = value.get(part) if isinstance(value, dict) else None
            return as_text(value)

        return _VAR.sub(sub, self.prompt)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=None)


def transcript(input: Any, output: Any) -> str:
    """A "Customer: / Agent:" transcript from a chat history (system prompt left out)
    and the final reply."""
    lines: list[str] = []
    messages = input if isinstance(input, list) else ([{"role": "user", "content": input}] if input else [])
    for m in messages:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        content = as_text(m.get("content"))
        if role == "user":
            lines.append(f"Customer: {content}")
        elif role == "assistant":
            lines.append(f"Agent: {content}")
    if output is not None and output != "":
        lines.append(f"Agent: {as_text(output)}")
    return "\n".join(lines)


def rubric_version(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def builtin_rubrics() -> dict[str, Traversable]:
    """Rubrics shipped with evaltui, by file stem."""
    files = sorted(RUBRICS_DIR.iterdir(), key=lambda p: p.name)
    return {PurePath(p.name).stem: p for p in files if PurePath(p.name).suffix in (".yaml", ".yml", ".toml")}


def load_rubric(name_or_path: str | Path) -> Rubric:
    """A built-in rubric by name (``brand_alignment``) or a rubric file by path."""
    path: Path | Traversable = Path(name_or_path)
    if not PurePath(name_or_path).suffix:
        builtin = builtin_rubrics().get(str(name_or_path))
        if builtin is None:
            raise RubricError(f"no rubric named {name_or_path!r}; built-in: {', '.join(builtin_rubrics())}")
        path = builtin
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"{path}: {exc.strerror or exc}") from None
    return parse_rubric(content, str(path))


def parse_rubric(content: bytes, path: Path | str = "rubric.yaml") -> Rubric:
    path = Path(path)
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(content.decode("utf-8"))
        else:
            import yaml

            data = yaml.safe_load(content.decode("utf-8"))
    except Exception as exc:  # yaml/toml syntax errors: say where
        raise RubricError(
            f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {str(exc).splitlines()[0]}"
        ) from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}: expected a mapping with name, prompt and choices")
    missing = [k for k in ("prompt", "choices") if not data.get(k)]
    if missing:
        raise RubricError(f"{path}: missing {', '.join(missing)}")
    raw = data["choices"]
    if isinstance(raw, list):  # [{label: A, score: 1}, ...]
        raw = {str(c.get("label")): c.get("score") for c in raw if isinstance(c, dict)}
    if not isinstance(raw, dict) or len(raw) < 2:
        raise RubricError(f"{path}: choices must map at least two labels to scores, e.g. {{A: 1.0, B: 0.0}}")
    choices: dict[str, float] = {}
    for label, score in raw.items():
        if isinstance(score, dict):
            score = score.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise RubricError(f"{path}: choice {label!r} needs a score between 0 and 1, got {score!r}")
        choices[str(label)] = float(score)
    scope = str(data.get("scope", "all"))
    known = {"name", "prompt", "choices", "scope", "description", "model", "temperature"}
    return Rubric(
        name=str(data.get("name") or path.stem.replace("_", " ").title()),
        prompt=str(data["prompt"]),
        choices=choices,
        version=rubric_version(content),
        scope=scope,
        description=str(data.get("description") or ""),
        model=data.get("model"),
        temperature=float(data.get("temperature") or 0.0),
        source=str(path),
        extra={k: v for k, v in data.items() if k not in known},
    )
