"""Settings, from (highest first) arguments, environment variables (``EVALTUI_*``, plus
``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``), then ``./evaltui.toml`` or
``~/.config/evaltui/config.toml``.

The API key is held as a SecretStr: it is never written to the database, an export
or a log line.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource


def config_files() -> list[Path]:
    explicit = os.environ.get("EVALTUI_CONFIG")
    if explicit:
        return [Path(explicit)]
    return [Path.home() / ".config" / "evaltui" / "config.toml", Path("evaltui.toml")]


class Settings(BaseSettings):
    """evaltui's settings. Every field can be set as EVALTUI_<NAME> or in the TOML file."""

    model_config = SettingsConfigDict(env_prefix="EVALTUI_", extra="ignore", env_nested_delimiter="__")

    db: str | None = Field(default=None, description="Database file; `--db` wins over this.")

    # -- model endpoint (any OpenAI-compatible server) --
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("EVALTUI_OPENAI_BASE_URL", "OPENAI_BASE_URL", "openai_base_url"),
        description="Base URL of an OpenAI-compatible API (OpenAI, vLLM, Ollama, llama.cpp).",
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("EVALTUI_OPENAI_API_KEY", "OPENAI_API_KEY", "openai_api_key"),
        description="API key; read from the environment, never stored.",
    )
    judge_model: str = Field(default="gpt-4o-mini", description="Model for LLM judges.")
    task_model: str = Field(default="gpt-4o-mini", description="Model for tasks (the sample bot).")
    llm_concurrency: int = Field(default=16, ge=1, description="Model calls in flight at once.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one model call.")
    llm_max_retries: int = Field(default=6, ge=0, description="Retries on 429, 5xx, timeouts.")
    llm_backoff_s: float = Field(
        default=0.5,
        gt=0,
        description="First wait before a retry (doubles each time, with jitter); a 429's Retry-After wins over it.",
    )
    llm_cache: bool = Field(default=True, description="Reuse stored replies for identical requests.")

    # -- buckets --
    fail_threshold: dict[str, float] = Field(
        default_factory=lambda: {"default": 0.5},
        description="Per scorer key: a score below this fails. 'default' applies to the rest.",
    )
    borderline_margin: float = Field(
        default=0.25, ge=0, description="A score within this distance of the threshold is borderline."
    )

    # -- review --
    reviewer: str | None = Field(
        default=None, description="Who labels: stored with every human label (default: the login name)."
    )

    # -- TUI --
    theme: str = Field(default="evaltui-dark", description="Colour theme (a file in themes/ or your own).")
    keymap: dict[str, str] = Field(default_factory=dict, description="Binding id -> key(s), to remap keys.")
    themes_dir: str | None = Field(
        default=None,
        description="A folder of your own theme files (*.toml); ~/.config/evaltui/themes is read too.",
    )

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key)

    @property
    def reviewer_name(self) -> str:
        """The reviewer this process labels as: ``reviewer`` (EVALTUI_REVIEWER), else the login name."""
        if self.reviewer and self.reviewer.strip():
            return self.reviewer.strip()
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):  # no login name (a container without a passwd entry)
            return "reviewer"

    def threshold(self, scorer_key: str) -> float:
        return self.fail_threshold.get(scorer_key, self.fail_threshold.get("default", 0.5))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = [p for p in config_files() if p.is_file()]
        toml: list[PydanticBaseSettingsSource] = (
            [TomlConfigSettingsSource(settings_cls, toml_file=files)] if files else []
        )
        return (init_settings, env_settings, *toml)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings(**overrides: Any) -> Settings:
    """Fresh settings (tests and long-lived processes call this instead of the cached ones)."""
    return Settings(**overrides)
