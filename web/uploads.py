"""The upload component's server half: one text file from a form, read the way spreadsheets write it.

Screens that take a file (the lead-history import on the models page; the administration screens'
spend and practice-management imports) render `templates/_upload.html`'s `upload_field` macro and
call `read_upload` in their handler. It enforces the size limit, refuses what is not a text file
with the reason a manager can act on (an Excel workbook saved as-is, a PDF, an image), and decodes
what Excel writes: UTF-8 with or without a byte-order mark, UTF-16 ("Unicode text"), or the
Windows code page of a plain "CSV" save. The caller gets text; what the text means is its business.

`decode_text` is the same reading for a file on disk (the `leadrouter` commands use it).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import PurePath

from litestar.datastructures import UploadFile

from router.core.errors import ActionRefused

UPLOAD_CHUNK_BYTES = 1 << 16
"""Read size while enforcing the limit: a file too large is refused after limit + one chunk, not read."""

TEXT_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".tab", ""})
"""File name endings of delimited text (and none, as some exports save)."""

_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zipped file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel workbook (.xls)"),
    (b"%PDF", "a PDF"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
)
"""Leading bytes of files people upload by mistake, and what to call them."""

SAVE_AS_CSV = "In Excel or Numbers, use File > Save As (or Export) > CSV UTF-8, then upload that file."


class UploadRefused(ActionRefused, ValueError):
    """The file cannot be read as text; the message says why, for the page to show beside the field."""

    status_code = 422
    title = "File not read"


@dataclass(frozen=True)
class UploadedText:
    """A decoded text file."""

    file_name: str
    text: str
    encoding: str
    size: int


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.0f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} KB"


def decode_text(raw: bytes, *, file_name: str, max_bytes: int) -> UploadedText:
    """The file's text; `UploadRefused` with a reason for a file that is too big, empty or not text."""
    if len(raw) > max_bytes:
        raise UploadRefused(
            f"The file is larger than {_megabytes(max_bytes)}; split it or leave out old years."
        )
    if not raw.strip():
        raise UploadRefused("The file is empty.")
    for signature, what in _SIGNATURES:
        if raw.startswith(signature):
            raise UploadRefused(f"This is {what}, not a CSV file. {SAVE_AS_CSV}")
    text, encoding = _decode(raw)
    if "\x00" in text:
        raise UploadRefused(f"This is not a text file. {SAVE_AS_CSV}")
    suffix = PurePath(file_name).suffix.lower()
    if suffix not in TEXT_SUFFIXES:
        raise UploadRefused(f"A {suffix} file is not a CSV file. {SAVE_AS_CSV}")
    return UploadedText(
        file_name=PurePath(file_name).name or "upload.csv", text=text, encoding=encoding, size=len(raw)
    )


def _decode(raw: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: byte-order marks first, then UTF-16 without one, UTF-8,
    and Windows-1252 (what Excel's plain "CSV" writes on Windows) as the last resort."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8 (with BOM)"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace"), "utf-16"
    sample = raw[:4096]
    if len(sample) >= 4 and sample[1::2].count(0) > len(sample) // 4:
        return raw.decode("utf-16-le", errors="replace"), "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) > len(sample) // 4:
        return raw.decode("utf-16-be", errors="replace"), "utf-16-be"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), "windows-1252"


async def read_upload(upload: UploadFile | None, *, max_bytes: int) -> UploadedText:
    """Read a form's file field (at most `max_bytes` + one chunk) and decode it as `decode_text` does."""
    if upload is None or not upload.filename:
        raise UploadRefused("Choose a file to upload.")
    chunks, size = [], 0
    while size <= max_bytes:
        chunk = await upload.read(UPLOAD_CHUNK_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    await upload.close()
    return decode_text(b"".join(chunks), file_name=upload.filename, max_bytes=max_bytes)
