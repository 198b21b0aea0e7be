"""Errors raised while setting a scorer up (not while scoring one case)."""

from evaltui.errors import EvaltuiError


class ScorerSetupError(EvaltuiError):
    """A scorer that cannot run at all: unknown name, no endpoint, too few labels...
    The message is one line that says what to do."""
