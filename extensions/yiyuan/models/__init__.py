"""SQLAlchemy models of the platform database. Import from here so Alembic sees them all."""

from .accounts import Account, AccountRole, Role
from .associations import Association
from .base import Base, UTCDateTime, utcnow
from .members import HubSync, Member, Membership, Standing

__all__ = [
    "Account",
    "AccountRole",
    "Association",
    "Base",
    "HubSync",
    "Member",
    "Membership",
    "Role",
    "Standing",
    "UTCDateTime",
    "utcnow",
]
