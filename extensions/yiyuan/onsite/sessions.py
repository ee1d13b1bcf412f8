"""Sessions (场次) of on-site modules: kept in step with the manifest at publish, listed for the
trainer page, and who may run one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.service import find_account
from ..catalog.enrolment import is_trainer
from ..courses import manifest as manifests
from ..models import Account, Module, ModuleKind, OnsiteSession, Role

#: times people read (session starts, check-in deadlines) are China time
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def sync_sessions(session: Session, module: Module, manifest_module: manifests.Module) -> None:
    """Create or update the module's sessions from the manifest. A session the manifest no
    longer lists is deactivated, never deleted: attendance points at it."""
    if module.id is None:
        session.flush()  # a module new in this publish: its sessions need its id
    existing = {
        row.code: row
        for row in session.scalars(
            select(OnsiteSession).where(OnsiteSession.module_id == module.id)
        )
    }
    wanted = manifest_module.sessions if module.kind == ModuleKind.onsite else ()
    for position, sitting in enumerate(wanted):
        row = existing.pop(sitting.id, None)
        if row is None:
            row = OnsiteSession(module_id=module.id, code=sitting.id, checkin_code="")
            session.add(row)
        row.position = position
        row.place = sitting.place
        row.starts_at = sitting.starts_at
        row.hours = sitting.hours
        # the checker made sure the trainer is one of the course's; publish that they exist
        trainer = find_account(session, sitting.trainer) if sitting.trainer else None
        row.trainer_id = trainer.id if trainer is not None else None
        row.active = True
    for row in existing.values():
        row.active = False
    session.flush()


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
    return moment.astimezone(LOCAL_ZONE).strftime(pattern) if moment is not None else ""


def describe(onsite_session: OnsiteSession) -> str:
    """The session as people name it: ``第 1 场（2027-01-16 09:00，市书法家协会创作基地）``."""
    facts = "，".join(x for x in (local_time(onsite_session.starts_at), onsite_session.place) if x)
    return f"第 {onsite_session.position + 1} 场" + (f"（{facts}）" if facts else "")
