"""Login accounts and the platform roles they hold."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """Platform roles; each maps to a JupyterHub group and role (see hub_config.roles)."""

    learner = "learner"
    trainer = "trainer"
    manager = "manager"  # 协会管理员: sees one association
    administrator = "administrator"


#: each role as pages, exports and the CLI name it
ROLE_LABELS = {
    Role.learner: "学员",
    Role.trainer: "教师",
    Role.manager: "协会管理员",
    Role.administrator: "管理员",
}


class Account(Base):
    """A person who can log in. Accounts exist only because an administrator created them."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the JupyterHub user name: lower-case ASCII, also a valid system user name
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    #: argon2id hash; empty for accounts that log in through single sign-on only
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # failed logins and locks live in login_throttles (models/logins.py)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 大字: the person asked for larger text on every page (remembered across devices)
    large_text: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    roles: Mapped[list[AccountRole]] = relationship(
        back_populates="account", cascade="all, delete-orphan", lazy="selectin"
    )

    def has_role(self, role: Role) -> bool:
        return any(grant.role == role for grant in self.roles)


class AccountRole(Base):
    """One role held by an account; a manager's role names the association it covers."""

    __tablename__ = "account_roles"
    __table_args__ = (UniqueConstraint("account_id", "role", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, create_constraint=True, name="role")
    )
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id"))

    account: Mapped[Account] = relationship(back_populates="roles")
