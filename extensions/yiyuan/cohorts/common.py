"""What programmes and cohorts share: their errors, code and text checks, dates."""

from __future__ import annotations

import re
from datetime import date

from ..errors import YiyuanError

#: programme and cohort codes: like course codes, but may start with a digit (2026-3qi)
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


class CohortError(YiyuanError):
    """A programme or cohort request that cannot be carried out; the message says why."""


class CohortNotFound(CohortError):
    """No programme or cohort with that code."""


class CohortClosed(CohortError):
    """The cohort has ended: it takes no more members."""


def check_code(value: str, what: str) -> str:
    value = (value or "").strip()
    if not CODE_PATTERN.match(value):
        raise CohortError(
            f"{what}代码“{value}”无效：只能由小写字母、数字和连字符组成（2–40 个字符），"
            "例如 2026-3qi。"
        )
    return value


def check_text(value: str | None, what: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise CohortError(f"请填写{what}。")
    if len(value) > limit:
        raise CohortError(f"{what}太长：最多 {limit} 个字。")
    return value


def parse_day(value: date | str | None, what: str) -> date:
    """A day as a ``date`` or typed as 2026-09-01."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        raise CohortError(f"请填写{what}（例如 2026-09-01）。")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CohortError(f"{what}“{text}”无法识别：请写成 2026-09-01 这样。") from None
