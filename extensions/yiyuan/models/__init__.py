"""SQLAlchemy models of the platform database. Import from here so Alembic sees them all."""

from .accounts import Account, AccountRole, Role
from .associations import Association
from .base import Base, UTCDateTime, utcnow

__all__ = ["Account", "AccountRole", "Association", "Base", "Role", "UTCDateTime", "utcnow"]
