"""Colour themes loaded at run time from TOML files.

Shipped themes are the ``*.toml`` files of this package (read with importlib.resources,
so they come with the wheel; the repository's top-level ``themes/`` holds copies to start
your own from). A user adds their own in ``~/.config/evaltui/themes/`` or the folder named
by ``Settings.themes_dir``. A later folder wins when two files share a theme name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path, PurePath

from textual.color import Color, ColorParseError
from textual.theme import Theme

SHIPPED: Traversable = resources.files(__name__)
USER = Path.home() / ".config" / "evaltui" / "themes"
DEFAULT_THEME = "evaltui-dark"

_COLOURS = {
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
}

_FIELDS = _COLOURS | {"name", "dark", "luminosity_spread", "text_alpha", "variables"}


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one line per file that could not be read


def theme_dirs(extra: str | Path | None = None) -> list[Traversable]:
    dirs: list[Traversable] = [SHIPPED, USER]
    if extra:
        dirs.append(Path(extra).expanduser())
    return dirs


def load_theme(path: Traversable) -> Theme:
    """One theme file; raises ValueError with a one-line reason."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"{path}: unknown keys {', '.join(sorted(unknown))}")
    if "primary" not in data:
        raise ValueError(f"{path}: a theme needs at least `primary`")
    data.setdefault("name", PurePath(path.name).stem)
    for key in _COLOURS & set(data):
        try:
            Color.parse(data[key])
        except ColorParseError:
            raise ValueError(f'{path}: {key} = {data[key]!r} is not a colour (use e.g. "#5FA8D3")') from None
    try:
        return Theme(**data)
    except Exception as exc:
        raise ValueError(f"{path}: {exc}") from None


def load_themes(extra_dir: str | Path | None = None) -> LoadedThemes:
    out = LoadedThemes()
    for folder in theme_dirs(extra_dir):
        if not folder.is_dir():
            continue
        for path in sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name):
            try:
                theme = load_theme(path)
            except ValueError as exc:
                out.problems.append(str(exc))
                continue
            out.themes[theme.name] = theme
    return out
