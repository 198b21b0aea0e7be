"""README's Layout section names every module of the package and of bench/, and only
modules that exist: a module added, moved or deleted without its line fails here."""

from __future__ import annotations

import ast
import re

from tests.helpers import ROOT


def layout_entries() -> set[str]:
    """The paths the Layout block names: a folder line (``evaltui/store/``) starts a block,
    its two-space-indented lines name what is in it (continuation lines indent further)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("\n## Layout\n", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    entries: set[str] = set()
    folder = ""
    for line in block.splitlines():
        if re.match(r"\S+/\s", line + " "):
            folder = line.split()[0]
            entries.add(folder)
        elif re.match(r"  \S", line):
            entries.add(folder + line.split()[0])
    return entries


def modules(under: str) -> set[str]:
    """Every .py file under a folder but a package's __init__.py that holds only its docstring."""
    out = set()
    for path in (ROOT / under).rglob("*.py"):
        if path.name == "__init__.py":
            body = ast.parse(path.read_text()).body
            if all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body):
                continue
        out.add(path.relative_to(ROOT).as_posix())
    return out


def test_the_layout_names_every_module_and_only_modules_that_exist() -> None:
    named = layout_entries()
    real = modules("evaltui") | modules("bench")
    assert sorted(real - named) == []  # a module without its line in README's Layout
    stale = sorted(
        e for e in named if e.endswith(".py") and e.startswith(("evaltui/", "bench/")) and not (ROOT / e).is_file()
    )
    assert stale == []  # a line for a module that is gone
    assert "evaltui/store/db.py" in named and "evaltui/tui/widgets/span_table.py" in named
