"""Serial numbers (证书编号) and what a stranger checking one may see.

A serial reads ``2026-ZS-000123-7KQ4M9XA``: the year, ZS (证书) or XS (学时证明), the row's
number, then eight characters drawn at random (40 bits, from an alphabet without 0/O and 1/I/L
that people misread). The verify page needs the whole serial, so the numbers in sequence cannot
be walked, and the page is rate-limited besides.
"""

from __future__ import annotations

import re
import secrets

#: Crockford's base 32: no I, L, O, U
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_LENGTH = 8
PATTERN = re.compile(r"^(\d{4})-([A-Z]{2,6})-(\d{6,})-([0-9A-HJKMNP-TV-Z]{8})$")


def make_serial(year: int, prefix: str, number: int) -> str:
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))
    return f"{year}-{prefix}-{number:06d}-{tail}"


def placeholder() -> str:
    """A unique stand-in until the row has its id (the number in the serial)."""
    return "pending-" + secrets.token_hex(12)


def normalise(text: str) -> str | None:
    """A serial as typed or scanned (spaces, lower case, O for 0) or None when it is not one."""
    serial = re.sub(r"\s+", "", text or "").upper()
    head, _, tail = serial.rpartition("-")
    serial = head + "-" + tail.replace("O", "0").replace("I", "1").replace("L", "1")
    return serial if PATTERN.match(serial) else None


def mask_name(name: str) -> str:
    """The name as the verify page shows it: 王*明, 李*, 欧阳**; enough to match a person."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
