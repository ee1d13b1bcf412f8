"""On-site sessions (场次) kept in step with the manifest when a course is published: the
catalogue writes them; yiyuan.onsite reads them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.service import find_account
from ..courses import manifest as manifests
from ..models import Module, ModuleKind, OnsiteSession


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
