"""One writer thread per run: finished cases go to the database the moment they finish.

Async workers hand results to a queue and go on with the next case; the writer takes
whatever has queued up and commits it in one transaction (group commit). Under light
load that is one commit per case; under heavy load a commit carries a few, so the
event loop never waits on disk. The runner's workers go on with their next case while
the commit happens; each waits for it before queuing that next case, so a SIGKILL loses
at most two cases per worker: the one running and the one being committed.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

from evaltui.store import experiments as exp_store
from evaltui.store.db import Store

_STOP = object()


class ResultWriter:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.written = 0
        self.error: BaseException | None = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="evaltui-result-writer", daemon=True)
        self._thread.start()

    def put(
        self, result: dict[str, Any], scores: list[dict[str, Any]], prompts: list[dict[str, Any]] | None = None
    ) -> Future[None]:
        """Queue a finished case (and the prompt versions it built); the future resolves
        once it is committed."""
        if self.error is not None:
            raise RuntimeError(f"cannot store results: {self.error}") from self.error
        done: Future[None] = Future()
        self._queue.put((result, scores, prompts or [], done))
        return done

    def _run(self) -> None:
        try:  # while the first cases run: their commit then costs what the others do
            exp_store.warm_up_writes(self.store)
        except Exception:  # a real write reports any problem
            pass
        stop = False
        while not stop:
            item = self._queue.get()
            batch = []
            while True:
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if not batch:
                continue
            if self.error is None:
                try:
                    self.written += exp_store.write_results(
                        self.store,
                        [r for r, _, _, _ in batch],
                        [s for _, scores, _, _ in batch for s in scores],
                        [p for _, _, prompts, _ in batch for p in prompts],
                    )
                except BaseException as exc:  # surfaced to the run by put(), the futures and close()
                    self.error = exc
            for _, _, _, done in batch:
                if self.error is None:
                    done.set_result(None)
                else:
                    done.set_exception(RuntimeError(f"cannot store results: {self.error}"))

    def close(self) -> None:
        """Write everything queued, then stop; raises if a write failed."""
        self._queue.put(_STOP)
        self._thread.join()
        if self.error is not None:
            raise RuntimeError(f"cannot store results: {self.error}") from self.error
