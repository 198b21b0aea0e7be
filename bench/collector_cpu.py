"""CPU per span of `evaltui serve`'s two halves, in one process, without HTTP.

    .venv/bin/python bench/collector_cpu.py [json|protobuf]

The receive path (decode + map + Arrow record + spool append with its fsync) for
160 requests of 500 spans (bench/collector.py's bodies), with a commit of 8,000 spans
after every 16 requests (the committer's SQL: open, stage, merge, close), on a new
database; the process's CPU time for each half, per span, best of three. CPU time moves
far less with the machine's load than spans/s do, so two versions can be compared on a
shared machine: run it from outside the worktree with PYTHONPATH=<an export of the other
version> for the "before" (the garbage collector is set as `serve` sets it, for both).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import collector as bench  # noqa: E402  (bench/collector.py: the same bodies)


def main() -> None:
    from evaltui.collect import otlp
    from evaltui.collect.committer import Committer, encode_spans

    try:  # serve's receive path: lists of spans in the common shape as blocks of columns
        from evaltui.collect.committer import encode_mapped

        def received_record(body: bytes, content: str) -> Any:
            return encode_mapped(otlp.decode(body, content, blocks=True).entries)
    except ImportError:  # a version before the blocks (run for a "before" figure)

        def received_record(body: bytes, content: str) -> Any:
            return encode_spans(otlp.decode(body, content).spans)

    from evaltui.collect.spool import Spool
    from evaltui.store import Store

    encoding = sys.argv[1] if len(sys.argv) > 1 else "json"
    content = "application/json" if encoding == "json" else "application/x-protobuf"
    requests = 160
    bodies = [bench.body(i * bench.PER_REQUEST, encoding) for i in range(requests)]
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    runs = []
    for _ in range(3):
        work = Path(tempfile.mkdtemp(prefix="bench-collector-cpu-"))
        db = work / "x.duckdb"
        Store(db).close()
        spool = Spool(work / "spool")
        committer = Committer(db, spool)
        receive = commit = 0.0
        spans = 0
        holds = []
        for k in range(0, requests, 16):
            started = time.process_time()
            for b in bodies[k : k + 16]:
                encoded = received_record(b, content)
                spool.append(encoded.payload, encoded.spans)
                spans += encoded.spans
            received = time.process_time()
            committer.batch_limit = 8_000
            committer.commit_once()
            commit += time.process_time() - received
            receive += received - started
            holds.append(committer.stats.last_hold_s)
        spool.close()
        runs.append((1e6 * receive / spans, 1e6 * commit / spans, sorted(holds)[len(holds) // 2]))
    best = min(runs, key=lambda r: r[0] + r[1])
    print(
        f"{encoding}: receive {best[0]:.1f} us/span, commit {best[1]:.1f} us/span of CPU (best of 3), "
        f"hold median {best[2]:.3f} s; all runs: {[tuple(round(v, 1) for v in r) for r in runs]}"
    )


if __name__ == "__main__":
    main()
