"""evaltui: find a problem in production logs, turn it into a dataset, evaluate a fix.

The core (store, ingest, scoring, topics, curation, evals) never imports Textual;
the TUI is one client of it, the CLI another, this Python API a third.
"""

__version__ = "0.1.0"
