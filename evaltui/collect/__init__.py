"""Live capture: `evaltui serve` takes OpenTelemetry traces over OTLP/HTTP while the app
and every other command keep using the database (docs/live-capture.md).

- ``otlp``: request bodies in (protobuf or JSON, gzip), replies out; the spans go
  through the file importer's mapping (``evaltui.ingest.otel.map_export``).
- ``spool``: the write-ahead spool a 2xx reply promises, replayed on restart.
- ``committer``: spooled spans into the database in short batches, letting go of the
  file between them.
- ``server``: the HTTP receiver, its limits and counters.
"""

from __future__ import annotations

from evaltui.collect.server import Collector, Limits

__all__ = ["Collector", "Limits"]
