"""Widgets, one per file; each defines the messages it posts."""
