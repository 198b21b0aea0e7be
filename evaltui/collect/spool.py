"""The write-ahead spool of `evaltui serve`: what a 2xx reply promises is on disk here.

Each accepted request's spans are appended as one record (length, CRC-32, payload) to
the open segment file and fsynced before the reply; concurrent requests share one
fsync (group commit). The committer seals the open segment, commits the sealed ones to
the database and only then deletes them, so a crash at any point leaves every
acknowledged span either in the database or in a segment that the next start replays;
a replay stores nothing twice, because the store keeps the first copy of a span id.
A record cut short by a crash was never acknowledged, and is dropped on replay.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from evaltui.errors import EvaltuiError

_HEADER = struct.Struct("<II")  # payload length, CRC-32 of the payload
_SUFFIX = ".spool"


class SpoolBusy(EvaltuiError):
    """Another `evaltui serve` uses this spool (and so this database)."""


class Spool:
    """A folder of segment files; one process at a time (an flock on ``lock``)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.folder / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._lock_fd)
            raise SpoolBusy(f"{self.folder} is in use by another `evaltui serve`") from None
        self._write = threading.Lock()  # appends and sealing
        self._sync = threading.Lock()  # one fsync at a time
        self._sealed = sorted(self.folder.glob(f"*{_SUFFIX}"))  # left by an earlier run: replayed first
        self._next = int(self._sealed[-1].stem) + 1 if self._sealed else 1
        self.pending_bytes = sum(p.stat().st_size for p in self._sealed)
        self.pending_spans = 0  # appended by this process and not yet committed
        self._fd = -1
        self._path: Path | None = None
        self._written = self._synced = 0  # records appended / known durable

    # -- the receive path -------------------------------------------------

    def append(self, payload: bytes, spans: int = 0) -> None:
        """Append one record (of ``spans`` spans); returns once it is on disk."""
        record = _HEADER.pack(len(payload), zlib.crc32(payload)) + payload
        with self._write:
            if self._fd < 0:
                self._open_segment()
            os.write(self._fd, record)
            self._written += 1
            seq = self._written
            self.pending_bytes += len(record)
            self.pending_spans += spans
        self._flush(seq)

    def _flush(self, seq: int) -> None:
        with self._sync:
            if self._synced >= seq:
                return  # another request's fsync covered this record
            with self._write:
                fd, upto = self._fd, self._written
            os.fsync(fd)
            self._synced = max(self._synced, upto)

    def _open_segment(self) -> None:
        self._path = self.folder / f"{self._next:012d}{_SUFFIX}"
        self._next += 1
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _fsync_dir(self.folder)  # the new file's name is durable too

    # -- the commit path --------------------------------------------------

    def seal(self) -> list[Path]:
        """Close the open segment (new records go to a fresh one); return every sealed
        segment not yet deleted, oldest first."""
        with self._sync, self._write:
            if self._fd >= 0:
                os.fsync(self._fd)
                os.close(self._fd)
                self._synced = self._written
                self._fd = -1
                assert self._path is not None
                self._sealed.append(self._path)
            return list(self._sealed)

    def sealed_count(self) -> int:
        """Sealed segments waiting to be committed."""
        with self._write:
            return len(self._sealed)

    def committed(self, spans: int) -> None:
        """``spans`` spooled spans are in the database now."""
        with self._write:
            self.pending_spans = max(0, self.pending_spans - spans)

    def delete(self, segment: Path) -> None:
        """A sealed segment whose records are committed to the database."""
        size = segment.stat().st_size
        segment.unlink()
        with self._write:
            self._sealed.remove(segment)
            self.pending_bytes -= size

    def close(self) -> None:
        self.seal()
        os.close(self._lock_fd)


def read_segment(segment: Path) -> Iterator[bytes]:
    """The records of a segment; a torn or corrupt tail (a crash mid-append) ends it."""
    data = segment.read_bytes()
    pos = 0
    while pos + _HEADER.size <= len(data):
        size, crc = _HEADER.unpack_from(data, pos)
        payload = data[pos + _HEADER.size : pos + _HEADER.size + size]
        if len(payload) < size or zlib.crc32(payload) != crc:
            return
        yield payload
        pos += _HEADER.size + size


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
