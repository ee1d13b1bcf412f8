"""Names the exchange accepts: course and module ids, file names inside an archive.

One module for every name and path format (nbgrader parses its submission folder names two
ways in two files; we do not).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

#: course and module ids, as the manifest schema allows them
ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")

#: nbgrader's timestamp format (``timestamp.txt``, feedback folders)
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


class BadName(ValueError):
    """A name the exchange refuses; the message is Chinese and says which name."""


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise BadName(
            f"{what}“{value}”无效：只能用小写字母开头，由小写字母、数字和连字符组成（2–40 个字符）。"
        )
    return value


def nbgrader_timestamp(moment: datetime) -> str:
    """``2026-11-29 04:30:00.123456 UTC``: what nbgrader writes in ``timestamp.txt``."""
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_nbgrader_timestamp(text: str) -> datetime | None:
    """A timestamp nbgrader wrote, or None when it is not one (learners' files are untrusted)."""
    text = text.strip()
    for pattern in (TIMESTAMP_FORMAT, "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            moment = datetime.strptime(text.removesuffix(" UTC"), pattern.removesuffix(" %Z"))
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC)
    return None
