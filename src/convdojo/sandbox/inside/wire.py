"""Framing on the sandbox's pipes.

Grader <-> worker: 8-byte big-endian length, then a JSON document (or raw bytes).
Child -> worker: ``MAGIC | length | BLAKE2b-MAC | marshal body``, keyed per run
with a key the child's sender read before any student code ran.  Student code
shares the child's file descriptors and may write anything to that pipe, so
the reader scans for frames that verify and drops everything else.
"""

from __future__ import annotations

import hmac
import json
import marshal
import os
from hashlib import blake2b
from typing import Any

MAGIC = b"CDJFRAME"
HEAD = len(MAGIC) + 8 + 32
MAX_FRAME = 24 * 2**20  # the sender's 16 MiB budget plus encoding overhead


def send_msg(fd: int, payload: bytes) -> None:
    data = len(payload).to_bytes(8, "big") + payload
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def send_json(fd: int, obj: Any) -> None:
    send_msg(fd, json.dumps(obj, separators=(",", ":")).encode())


def read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_msg(fd: int) -> bytes:
    size = int.from_bytes(read_exact(fd, 8), "big")
    if size > MAX_FRAME * 2:
        raise ValueError(f"message of {size} bytes is too large")
    return read_exact(fd, size)


def read_json(fd: int) -> Any:
    return json.loads(read_msg(fd))


class FrameScanner:
    """Accumulates the child's pipe and yields (kind, payload) of frames that verify."""

    def __init__(self, key: bytes) -> None:
        self.key = key
        self.buf = bytearray()
        self.seq = 0

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        self.buf += data
        if len(self.buf) > 2 * MAX_FRAME:  # nothing genuine is this large: drop the oldest
            del self.buf[:len(self.buf) - MAX_FRAME]
        return self._scan(final=False)

    def finish(self) -> list[tuple[str, Any]]:
        return self._scan(final=True)

    def _scan(self, final: bool) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        pos = 0
        keep = None  # where an incomplete candidate starts, if we wait for more bytes
        while keep is None:
            at = self.buf.find(MAGIC, pos)
            if at < 0:
                break
            frame = self._try(at)
            if frame is not None:
                end, kind, payload = frame
                out.append((kind, payload))
                pos = end
                continue
            # Not a frame (yet).  A genuine frame may still be arriving, or junk may claim
            # a length it never delivers: skip it if a later frame already verifies.
            later = None if final else self._first_verified_after(at)
            if later is not None:
                pos = later
            elif not final and self._incomplete(at):
                keep = at
            else:
                pos = at + 1
        if keep is None:
            keep = len(self.buf) if final else max(pos, len(self.buf) - len(MAGIC) + 1)
        del self.buf[:keep]
        return out

    def _incomplete(self, at: int) -> bool:
        if len(self.buf) - at < HEAD:
            return True
        size = int.from_bytes(self.buf[at + 8:at + 16], "big")
        return size <= MAX_FRAME and len(self.buf) - at - HEAD < size

    def _first_verified_after(self, at: int) -> int | None:
        nxt = self.buf.find(MAGIC, at + 1)
        while nxt >= 0:
            if self._try(nxt, peek=True) is not None:
                return nxt
            nxt = self.buf.find(MAGIC, nxt + 1)
        return None

    def _try(self, at: int, peek: bool = False) -> tuple[int, str, Any] | None:
        if len(self.buf) - at < HEAD:
            return None
        size = int.from_bytes(self.buf[at + 8:at + 16], "big")
        if size > MAX_FRAME or len(self.buf) - at - HEAD < size:
            return None
        mac = bytes(self.buf[at + 16:at + HEAD])
        body = bytes(self.buf[at + HEAD:at + HEAD + size])
        if not hmac.compare_digest(mac, blake2b(body, key=self.key, digest_size=32).digest()):
            return None
        try:
            seq, kind, payload = marshal.loads(body)  # verified: written by sender.py
        except (ValueError, TypeError, EOFError):
            return None
        if seq != self.seq or not isinstance(kind, str):
            return None
        if not peek:
            self.seq += 1
        return at + HEAD + size, kind, payload
