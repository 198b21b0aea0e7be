"""Errors raised while setting a scorer up (not while scoring one case)."""


class ScorerSetupError(Exception):
    """A scorer that cannot run at all: unknown name, no endpoint, too few labels...
    The message is one line that says what to do."""
