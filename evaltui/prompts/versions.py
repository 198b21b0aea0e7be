"""Prompt versions in and out of the store: adding a file, loading a version as a
``LoadedPrompt`` (what ``load_prompt`` returns), and the prompt diff of two experiments."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaltui import case_context
from evaltui.prompts.template import PromptContent, PromptError, parse_prompt, unified_diff
from evaltui.store import prompts as prompt_store
from evaltui.store.db import Store


def add_prompt(
    store: Store, name: str, content: PromptContent, source: str | None = None
) -> tuple[prompt_store.PromptVersion, bool]:
    """Store ``content`` as the next version of ``name`` (unless a version has it already)."""
    return prompt_store.add_version(store, name, content.hash, content.to_json(), source)


def add_prompt_file(
    store: Store, name: str, path: str | Path, *, role: str = "system"
) -> tuple[prompt_store.PromptVersion, bool]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptError(f"{path}: {exc.strerror or exc}") from None
    return add_prompt(store, name, parse_prompt(raw, path, role=role), str(path))


@dataclass
class LoadedPrompt:
    """One version of a stored prompt. ``build(**vars)`` returns the keyword arguments of
    an OpenAI chat call (``{"model", "messages", **params}``, ``messages`` with the
    variables filled in) and records this version on the eval case that called it."""

    name: str
    version: int
    hash: str
    content: PromptContent = field(repr=False)

    @property
    def messages(self) -> list[dict[str, str]]:
        """The template's messages, variables not filled in."""
        return [dict(m) for m in self.content.messages]

    @property
    def model(self) -> str | None:
        return self.content.model

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.content.params)

    def ref(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "hash": self.hash}

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """The messages with ``variables`` filled in, recording nothing."""
        return self.content.render(variables)

    def build(self, **variables: Any) -> dict[str, Any]:
        case_context.record_prompt(self.ref())
        out: dict[str, Any] = {**self.content.params, "messages": self.render(**variables)}
        if self.content.model:
            out["model"] = self.content.model
        return out

    def system_text(self) -> str:
        """The system message(s) with no variables filled in (for tasks that take a system prompt)."""
        return "\n".join(m["content"] for m in self.content.messages if m.get("role") in ("system", "developer"))


def get_prompt(store: Store, name: str, version: int | str | None = None) -> LoadedPrompt:
    v = prompt_store.require_version(store, name, version)
    return LoadedPrompt(v.name, v.version, v.hash, PromptContent.from_json(v.content))


def load_prompt(
    name: str | None = None,
    version: int | str | None = None,
    *,
    project: str | None = None,
    slug: str | None = None,
    db: str | os.PathLike[str] | None = None,
    **_braintrust_only: Any,
) -> LoadedPrompt:
    """The prompt ``name`` (Braintrust: ``slug=``) at ``version`` (a number, ``"v3"`` or a
    content hash prefix; the latest when None), from ``db`` (default: ``evaltui eval
    --db``, $EVALTUI_DB, ./evaltui.duckdb). ``project`` is accepted (prompts are named
    per database file), as are Braintrust's service options."""
    name = name or slug
    if not name:
        raise PromptError("load_prompt needs a prompt name (or slug=)")
    from evaltui.dbpath import default_db

    with Store(db if db is not None else default_db()) as store:
        return get_prompt(store, name, version)


@dataclass
class PromptChange:
    """One prompt's versions on the two sides of a diff, and the lines that changed."""

    name: str
    base: dict[str, Any] | None  # {name, version, hash} or None: not built on that side
    candidate: dict[str, Any] | None
    added: int
    removed: int
    diff: list[str]

    @property
    def changed(self) -> bool:
        return (self.base or {}).get("hash") != (self.candidate or {}).get("hash")


def prompt_changes(store: Store, base_id: str, candidate_id: str) -> list[PromptChange]:
    """Per prompt either experiment built: its version on each side and the diff between
    them (a side that built several versions of one prompt is shown with its latest)."""
    sides = [{r["name"]: r for r in prompt_store.experiment_prompts(store, eid)} for eid in (base_id, candidate_id)]
    out = []
    for name in sorted({*sides[0], *sides[1]}):
        b, c = sides[0].get(name), sides[1].get(name)
        contents = [None if ref is None else prompt_store.content_of(store, name, ref["hash"]) for ref in (b, c)]
        old, new = (None if x is None else PromptContent.from_json(x) for x in contents)
        label = lambda ref: "(none)" if ref is None else f"{name} v{ref['version']} ({ref['hash']})"  # noqa: E731
        lines, added, removed = unified_diff(old, new, label(b), label(c))
        out.append(PromptChange(name, b, c, added, removed, lines))
    return out


def prompt_overview(store: Store) -> list[dict[str, Any]]:
    """One row per prompt version, for the app's prompts pane: name, version, hash,
    created, source, the experiments that ran it, its text lines, and its diff against the
    previous version of the same prompt (``diff``, ``added``, ``removed``)."""
    rows: list[dict[str, Any]] = []
    for prompt in prompt_store.list_prompts(store):
        previous: PromptContent | None = None
        for v in prompt["versions"]:
            stored = prompt_store.require_version(store, prompt["name"], v["version"])
            content = PromptContent.from_json(stored.content)
            lines, added, removed = (
                unified_diff(previous, content, f"v{v['version'] - 1}", f"v{v['version']}")
                if previous is not None
                else ([], 0, 0)
            )
            rows.append(
                {
                    "name": prompt["name"],
                    **v,
                    "lines": content.text_lines(),
                    "diff": lines,
                    "added": added,
                    "removed": removed,
                }
            )
            previous = content
    return rows
