"""Sessions (场次) of on-site modules: listed for the trainer page, and who may run one. Publishing
keeps them in step with the manifest (yiyuan.catalog.onsite_sessions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.enrolment import is_trainer
from ..clock import local_zone
from ..models import Account, Module, OnsiteSession, Role


def sessions_of_course(session: Session, course_id: int) -> list[OnsiteSession]:
    """Active sessions of the course's active modules, by module then session position."""
    return list(
        session.scalars(
            select(OnsiteSession)
            .join(Module, Module.id == OnsiteSession.module_id)
            .where(Module.course_id == course_id, Module.active, OnsiteSession.active)
            .order_by(Module.position, OnsiteSession.position, OnsiteSession.id)
        )
    )


def may_run(session: Session, onsite_session: OnsiteSession, account: Account) -> bool:
    """A trainer of the session's course, or an administrator."""
    if not account.active:
        return False
    if account.has_role(Role.administrator):
        return True
    module = session.get(Module, onsite_session.module_id)
    return module is not None and is_trainer(session, module.course_id, account.id)


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(local_zone()).strftime(pattern) if moment is not None else ""


def describe(onsite_session: OnsiteSession) -> str:
    """The session as people name it: ``第 1 场（2027-01-16 09:00，市书法家协会创作基地）``."""
    facts = "，".join(x for x in (local_time(onsite_session.starts_at), onsite_session.place) if x)
    return f"第 {onsite_session.position + 1} 场" + (f"（{facts}）" if facts else "")
