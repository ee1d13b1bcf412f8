"""The associations usually found in a city federation (GLOSSARY.md). Data, not code paths:
a city adds or renames its own with the same functions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Association

#: in a course's or cohort's audience: every association
ALL_ASSOCIATIONS = "全部"

#: (code, short name, full name without the city prefix)
STANDARD_ASSOCIATIONS: list[tuple[str, str, str]] = [
    ("writers", "作协", "作家协会"),
    ("fine-arts", "美协", "美术家协会"),
    ("calligraphy", "书协", "书法家协会"),
    ("photography", "摄协", "摄影家协会"),
    ("music", "音协", "音乐家协会"),
    ("dance", "舞协", "舞蹈家协会"),
    ("theatre", "剧协", "戏剧家协会"),
    ("quyi", "曲协", "曲艺家协会"),
    ("acrobatics", "杂协", "杂技家协会"),
    ("folk-arts", "民协", "民间文艺家协会"),
    ("criticism", "评协", "文艺评论家协会"),
]


def ensure_standard_associations(session: Session, city: str) -> int:
    """Add the standard associations that are missing; returns how many were added."""
    existing = set(session.scalars(select(Association.code)))
    added = 0
    for order, (code, short, full) in enumerate(STANDARD_ASSOCIATIONS):
        if code not in existing:
            session.add(
                Association(code=code, short_name=short, full_name=city + full, sort_order=order)
            )
            added += 1
    session.flush()
    return added


def find_association(session: Session, name: str) -> Association | None:
    """By code, short name or full name."""
    return session.scalar(
        select(Association).where(
            (Association.code == name)
            | (Association.short_name == name)
            | (Association.full_name == name)
        )
    )
