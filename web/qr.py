"""QR codes drawn on our own server as SVG (segno), so an enrolment secret never reaches a third party."""

from __future__ import annotations

import io

import segno

QR_SCALE = 5
"""Module size in pixels: about 200 px for an otpauth address, easy for a phone camera."""


def qr_svg(data: str) -> bytes:
    """An SVG image of `data` with a light border (no inline styles: the page's CSP forbids them)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=QR_SCALE, border=4, xmldecl=False, title="QR code"
    )
    return out.getvalue()
