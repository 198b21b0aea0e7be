"""Errors a user can cause and act on; each message is one line. Kept free of heavy
imports so the CLI can name them without loading DuckDB."""


class StoreError(Exception):
    """A problem with the database file a user can act on."""
