"""What a topic map embeds for each root span (a conversation): its *facet*.

- ``first_message``: the customer's first message (the default: it says what they came for);
- ``transcript``: every non-system message and the last reply;
- ``summary``: a short LLM-written summary of the transcript (needs a model endpoint).

Extraction runs in DuckDB so a million roots never pass through Python as JSON.
"""

from __future__ import annotations

from evaltui.errors import EvaltuiError

FACETS = ("first_message", "transcript", "summary")

# Message histories (JSON arrays of {role, content}), plain strings, else the JSON text.
FIRST_MESSAGE_SQL = """
CASE json_type({col}.input)
  WHEN 'ARRAY' THEN coalesce(
      (list_filter(json_extract({col}.input, '$[*]'), lambda m: m->>'role' = 'user')[1])->>'content',
      json_extract({col}.input, '$[0]')->>'content')
  WHEN 'VARCHAR' THEN {col}.input->>'$'
  ELSE CAST({col}.input AS VARCHAR)
END"""

TRANSCRIPT_SQL = """
CASE json_type({col}.input)
  WHEN 'ARRAY' THEN array_to_string(list_transform(
      list_filter(json_extract({col}.input, '$[*]'), lambda m: coalesce(m->>'role', '') <> 'system'),
      lambda m: coalesce(m->>'role', 'message') || ': ' || coalesce(m->>'content', '')), chr(10))
  WHEN 'VARCHAR' THEN {col}.input->>'$'
  ELSE CAST({col}.input AS VARCHAR)
END || coalesce(chr(10) || 'assistant: ' || CASE json_type({col}.output)
  WHEN 'VARCHAR' THEN {col}.output->>'$' ELSE CAST({col}.output AS VARCHAR) END, '')"""


class FacetError(EvaltuiError, ValueError):
    """An unknown facet, or one that needs a model endpoint that is not configured."""


def text_sql(facet: str, col: str = "s") -> str:
    """A SQL expression giving the facet's text of span alias ``col`` (NULL/'' when none)."""
    if facet == "first_message":
        return FIRST_MESSAGE_SQL.format(col=col)
    if facet in ("transcript", "summary"):
        # summary starts from the transcript; the LLM step shortens it in Python.
        return TRANSCRIPT_SQL.format(col=col)
    raise FacetError(f"unknown text facet {facet!r}; choose one of: {', '.join(FACETS)}")


def clean(text: str | None, max_chars: int = 2000) -> str:
    """Collapse whitespace and cut very long texts (the model reads 256 tokens at most)."""
    if not text:
        return ""
    return " ".join(text.split())[:max_chars]
