"""The clamd scanner against a local server speaking clamd's INSTREAM protocol (EICAR flagged)."""

from __future__ import annotations

import asyncio
import struct

import pytest

from connectors.clamav.scanner import ClamdScanner, ScannerUnavailable
from router.referrals.attachments import AttachmentRefused, check_attachment
from tests.fixtures.live import free_port
from tests.fixtures.referrers import EICAR, PDF

pytestmark = pytest.mark.unit


async def fake_clamd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """What clamd does with INSTREAM: read the chunks, answer OK or the signature it found."""
    command = await reader.readuntil(b"\0")
    assert command == b"zINSTREAM\0"
    data = b""
    while True:
        size = struct.unpack(">I", await reader.readexactly(4))[0]
        if size == 0:
            break
        data += await reader.readexactly(size)
    writer.write(b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0")
    await writer.drain()
    writer.close()


async def test_clean_files_pass_and_eicar_is_refused_beside_the_field():
    server = await asyncio.start_server(fake_clamd, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    scanner = ClamdScanner("127.0.0.1", port)
    async with server:
        clean = await check_attachment("letter.pdf", PDF + b"x" * 200_000, scanner=scanner)
        assert clean.scanned_by == "clamav"
        with pytest.raises(AttachmentRefused, match="Eicar-Test-Signature"):
            await check_attachment("letter.pdf", PDF + EICAR, scanner=scanner)


async def test_an_unreachable_scanner_refuses_the_file_rather_than_storing_it_unscanned():
    scanner = ClamdScanner("127.0.0.1", free_port(), timeout=2)
    with pytest.raises(ScannerUnavailable):
        await scanner.scan(PDF)
    with pytest.raises(AttachmentRefused, match="could not be checked for viruses"):
        await check_attachment("letter.pdf", PDF, scanner=scanner)
