"""QR codes of addresses as inline SVG, generated server-side with segno.

Bech32m addresses are encoded in UPPERCASE: every character is then in the QR alphanumeric
set, which gives a smaller, easier-to-scan code (BIP173's recommendation); decoders accept
an all-uppercase address. Black on white whatever the page theme, so scanners cope.
"""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def address_qr_svg(address: str, *, scale: int = 4) -> SafeString:
    """An inline <svg> QR code of `address` (a validated bech32m address)."""
    code = segno.make(address.upper(), error="m")
    svg: str = code.svg_inline(
        scale=scale, dark="#000", light="#fff", border=2, svgclass="qr", title=address
    )
    # segno escapes the title; the rest is its own path data.
    return mark_safe(svg)  # noqa: S308
