"""A referral's files: a PDF or an image, at most 10 MB, its type read from its content, scanned.

The browser's content type and the file's name are never trusted: `filetype` reads the leading
bytes. A file that is too big, of another type, empty, or that the virus scanner flags is refused
with a sentence for the form to show beside the field; nothing of the referral is stored then.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

import filetype

from router.core.ports import ScanVerdict, VirusScanner

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
"""10 MB per file: a scanned multi-page referral letter or a panoramic X-ray fits; a video does not."""
ATTACHMENTS_PER_REFERRAL = 5
"""Files per referral: a letter, a few images; more is a records request, not a referral."""
ACCEPTED_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/heic": "HEIC photo",
    "image/tiff": "TIFF image",
}
"""The types a referral may carry, by what the content is (not what its name says)."""
FILE_NAME_LIMIT = 200


class AttachmentRefused(ValueError):
    """The file cannot be accepted; the message says why, for the page to show beside the field."""


@dataclass(frozen=True)
class CheckedAttachment:
    """A file that passed every check, ready to be encrypted and stored."""

    file_name: str
    content: bytes
    media_type: str
    scanned_by: str


def _name(file_name: str) -> str:
    name = PurePath(file_name.replace("\\", "/")).name.replace("\x00", "").strip() or "attachment"
    return name[-FILE_NAME_LIMIT:]


async def check_attachment(file_name: str, content: bytes, *, scanner: VirusScanner) -> CheckedAttachment:
    """The file, checked: size, type by content, virus scan; `AttachmentRefused` says what is wrong."""
    name = _name(file_name)
    if len(content) > ATTACHMENT_MAX_BYTES:
        raise AttachmentRefused(f"{name} is larger than 10 MB; send a smaller scan or split it.")
    if not content:
        raise AttachmentRefused(f"{name} is empty.")
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        what = f"a {kind.extension.upper()} file" if kind else "not a PDF or an image"
        raise AttachmentRefused(f"{name} is {what}; attach PDFs or images (JPEG, PNG, HEIC, TIFF).")
    verdict: ScanVerdict = await scanner.scan(content)
    if not verdict.clean:
        raise AttachmentRefused(f"{name} was refused by the virus scanner ({verdict.found}).")
    return CheckedAttachment(name, content, kind.mime, verdict.scanner)
