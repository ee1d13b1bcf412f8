"""The associations in the platform database: the standard ones added, one found by any of its
names."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Association
from . import STANDARD_ASSOCIATIONS


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
