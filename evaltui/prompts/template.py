"""A prompt's content: parsing a prompt file, its content hash, rendering, and the text
form two versions are diffed on. Pure: no store, no I/O but the file read.

A prompt file is plain text (one message, ``system`` unless told otherwise) or YAML::

    model: gpt-4o-mini              # optional
    params: {temperature: 0}        # optional: sent with the messages
    messages:                       # or `prompt: text` for a single message
      - {role: system, content: "You are Juno, ..."}
      - {role: user, content: "{{input}}"}
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from evaltui.errors import EvaltuiError

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w]*(?:\.[\w]+)*)\s*\}\}")
ROLES = ("system", "user", "assistant", "developer", "tool")
YAML_SUFFIXES = (".yaml", ".yml")


class PromptError(EvaltuiError):
    """A prompt file or name that cannot be used; one line that says why."""


@dataclass(frozen=True)
class PromptContent:
    """What a prompt version is: its messages, model and parameters."""

    messages: list[dict[str, str]]
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "model": self.model, "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PromptContent:
        return cls([dict(m) for m in data.get("messages") or []], data.get("model"), dict(data.get("params") or {}))

    @property
    def hash(self) -> str:
        """The content hash: the same messages, model and parameters are the same version."""
        canonical = orjson.dumps(self.to_json(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:12]

    def variables(self) -> list[str]:
        """The ``{{variables}}`` its messages use, in order of first use."""
        seen: dict[str, None] = {}
        for m in self.messages:
            for v in _VARIABLE.findall(m.get("content", "")):
                seen.setdefault(v, None)
        return list(seen)

    def render(self, values: dict[str, Any]) -> list[dict[str, str]]:
        """The messages with each ``{{name}}`` (or ``{{a.b}}``) replaced; a missing one is empty."""
        return [{**m, "content": render_text(m.get("content", ""), values)} for m in self.messages]

    def text_lines(self) -> list[str]:
        """The form two versions are diffed on: each message under its role, then model and parameters."""
        lines: list[str] = []
        for m in self.messages:
            lines.append(f"[{m.get('role', 'user')}]")
            lines.extend(m.get("content", "").splitlines() or [""])
        if self.model:
            lines.append(f"model: {self.model}")
        for key, value in sorted(self.params.items()):
            lines.append(f"{key}: {json.dumps(value)}")
        return lines


def render_text(text: str, values: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        head, *rest = m.group(1).split(".")
        value: Any = values.get(head)
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    return _VARIABLE.sub(sub, text)


def parse_prompt(content: bytes, path: str | Path = "prompt.txt", *, role: str = "system") -> PromptContent:
    """A prompt file's content; PromptError (one line) when it is not one."""
    path = Path(path)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise PromptError(f"{path}: not UTF-8 text") from None
    if path.suffix not in YAML_SUFFIXES:
        if not text.strip():
            raise PromptError(f"{path}: empty prompt")
        if role not in ROLES:
            raise PromptError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        return PromptContent([{"role": role, "content": text.rstrip("\n")}])
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise PromptError(f"{path}: expected a mapping with messages (or prompt), model and params")
    if "messages" in data:
        raw = data["messages"]
        if not isinstance(raw, list) or not raw:
            raise PromptError(f"{path}: messages must be a list of {{role, content}}")
        messages = []
        for i, m in enumerate(raw, 1):
            if not isinstance(m, dict) or m.get("role") not in ROLES or not isinstance(m.get("content"), str):
                raise PromptError(f"{path}: message {i} needs a role ({', '.join(ROLES)}) and text content")
            messages.append({"role": m["role"], "content": m["content"].rstrip("\n")})
    elif isinstance(data.get("prompt"), str):
        messages = [{"role": str(data.get("role") or role), "content": data["prompt"].rstrip("\n")}]
    else:
        raise PromptError(f"{path}: needs messages (a list of {{role, content}}) or prompt (text)")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise PromptError(f"{path}: params must be a mapping, e.g. {{temperature: 0}}")
    known = {"messages", "prompt", "role", "model", "params"}
    params = {**{k: v for k, v in data.items() if k not in known}, **params}  # temperature: 0 at the top works too
    model = data.get("model")
    return PromptContent(messages, None if model is None else str(model), params)


def unified_diff(
    old: PromptContent | None, new: PromptContent | None, old_label: str = "base", new_label: str = "candidate"
) -> tuple[list[str], int, int]:
    """(diff lines, lines added, lines removed) from ``old`` to ``new``."""
    a = old.text_lines() if old is not None else []
    b = new.text_lines() if new is not None else []
    lines = list(difflib.unified_diff(a, b, old_label, new_label, n=1, lineterm=""))
    added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
    removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
    return lines, added, removed


def change_lines(change: dict[str, Any]) -> list[str]:
    """A prompt's change between two experiments (a ``PromptChange`` as a dict): a title
    line, then the lines of its unified diff without the file headers."""
    side = lambda ref: "-" if ref is None else f"v{ref['version']} ({ref['hash']})"  # noqa: E731
    title = f"prompt {change['name']}: {side(change['base'])} -> {side(change['candidate'])}"
    if (change["base"] or {}).get("hash") == (change["candidate"] or {}).get("hash"):
        return [title + ", unchanged"]
    body = [line for line in change["diff"] if not line.startswith(("---", "+++"))]
    return [f"{title}, +{change['added']} -{change['removed']} lines", *body]
