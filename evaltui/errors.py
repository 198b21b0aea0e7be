"""Errors a user can cause and act on, below every layer. Each message is one line that
says what to do; the CLI prints it as `error: ...` with the exit code of its kind, the
TUI as a notice. Kept free of heavy imports so the CLI can name them without loading
DuckDB.

Every such error is an ``EvaltuiError``; a layer's own errors (``FilterError``,
``IngestError``, ``LLMError``, ``ScorerSetupError``, ``EvalError``, ...) subclass it where
they are defined. A failing case, scorer or input line is not one of these: it is marked
or reported, and the others go on.
"""


class EvaltuiError(Exception):
    """An error a user can cause; ``str()`` is one line that says what to do."""


class StoreError(EvaltuiError):
    """A problem with the database file a user can act on."""


class StoreBusy(StoreError):
    """Another process holds the database file (and did not let go in time)."""


class StoreConfigConflict(StoreError):
    """This process already has the file open with another configuration (read-only
    against read-write): DuckDB refuses at once, so callers wait and retry or share."""


class StoreNeedsUpgrade(StoreError):
    """A file at an older schema opened read-only: open it once read-write to migrate it."""


class EvalFileError(EvaltuiError):
    """An eval file that could not be imported."""


class EmbeddingError(EvaltuiError, RuntimeError):
    """The embedding model cannot be loaded; the message says what to install."""
