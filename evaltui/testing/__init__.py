"""Test helpers that ship with evaltui: a real loopback OpenAI-compatible server
(``python -m evaltui.testing.fake_openai --port 0``)."""

from typing import Any

__all__ = ["FAULTS", "MIXED_FAULTS", "FakeOpenAI", "Fault", "FaultMix", "Reply", "RuleJudge", "default_responder"]


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m evaltui.testing.fake_openai` does not import the module twice.
    if name in __all__:
        from evaltui.testing import fake_openai

        return getattr(fake_openai, name)
    raise AttributeError(f"module 'evaltui.testing' has no attribute {name!r}")
