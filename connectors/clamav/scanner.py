"""The `VirusScanner` port over clamd's INSTREAM command (TCP), without a client library.

clamd's protocol: send `zINSTREAM\\0`, then the file in chunks, each prefixed with its length as a
4-byte big-endian number, then a zero length; clamd answers one line ending in NUL:
`stream: OK`, `stream: <signature> FOUND`, or `... ERROR` (for example over its StreamMaxLength).
"""

from __future__ import annotations

import asyncio
import struct

from router.core.ports import ScanVerdict

CHUNK_BYTES = 1 << 16
TIMEOUT_SECONDS = 30.0
"""A 10 MB file scans in well under a second; thirty means clamd is stuck, and the form says so."""


class ScannerUnavailable(Exception):
    """clamd could not be reached or answered with an error; the file is refused, never stored unscanned."""


class ClamdScanner:
    """Scans through the clamd at `host:port` (one connection per file)."""

    def __init__(self, host: str, port: int, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.host, self.port, self.timeout = host, port, timeout

    async def scan(self, content: bytes) -> ScanVerdict:
        try:
            return await asyncio.wait_for(self._scan(content), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise ScannerUnavailable(f"clamd at {self.host}:{self.port}: {type(exc).__name__}") from exc

    async def _scan(self, content: bytes) -> ScanVerdict:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK_BYTES):
                chunk = content[start : start + CHUNK_BYTES]
                writer.write(struct.pack(">I", len(chunk)) + chunk)
            writer.write(struct.pack(">I", 0))
            await writer.drain()
            reply = (await reader.readuntil(b"\0")).rstrip(b"\0").decode("utf-8", "replace").strip()
        finally:
            writer.close()
        if reply.endswith(" OK"):
            return ScanVerdict(clean=True, scanner="clamav")
        if reply.endswith(" FOUND"):
            found = reply.split(": ", 1)[-1].removesuffix(" FOUND")
            return ScanVerdict(clean=False, scanner="clamav", found=found)
        raise ScannerUnavailable(f"clamd answered {reply[:200]!r}")
