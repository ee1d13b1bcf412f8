"""Training programmes (培训项目): a name under which cohorts run year after year."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import audit
from ..models import Cohort, Programme
from .common import CohortError, CohortNotFound, check_code, check_text


@dataclass(frozen=True)
class ProgrammeLine:
    code: str
    name: str
    description: str
    active: bool
    cohorts: int


def get_programme(session: Session, code: str) -> Programme:
    programme = session.scalar(select(Programme).where(Programme.code == (code or "").strip()))
    if programme is None:
        raise CohortNotFound(f"没有培训项目“{code}”：请先用 yiyuan programmes create 创建。")
    return programme


def create_programme(
    session: Session, code: str, name: str, description: str = "", actor: str = ""
) -> Programme:
    code = check_code(code, "培训项目")
    name = check_text(name, "培训项目名称", 100)
    description = check_text(description, "说明", 2000, required=False)
    if session.scalar(select(Programme.id).where(Programme.code == code)) is not None:
        raise CohortError(f"培训项目代码“{code}”已被使用，请换一个。")
    programme = Programme(code=code, name=name, description=description)
    session.add(programme)
    session.flush()
    audit.record(session, actor, "programme.create", f"创建培训项目“{name}”（{code}）", target=code)
    return programme


def update_programme(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
    actor: str = "",
) -> Programme:
    """Change what is given; audited with the changed fields (nothing changed, nothing logged)."""
    programme = get_programme(session, code)
    changes = {}
    if name is not None and name.strip() != programme.name:
        changes["name"] = programme.name = check_text(name, "培训项目名称", 100)
    if description is not None and description.strip() != programme.description:
        changes["description"] = programme.description = check_text(
            description, "说明", 2000, required=False
        )
    if active is not None and active != programme.active:
        changes["active"] = programme.active = active
    if changes:
        session.flush()
        audit.record(
            session,
            actor,
            "programme.update",
            f"修改培训项目“{programme.name}”（{programme.code}）",
            target=programme.code,
            detail=changes,
        )
    return programme


def list_programmes(session: Session) -> list[ProgrammeLine]:
    """Every programme with its number of cohorts (one grouped query)."""
    counts = (
        select(Cohort.programme_id, func.count(Cohort.id).label("n"))
        .group_by(Cohort.programme_id)
        .subquery()
    )
    rows = session.execute(
        select(Programme, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.programme_id == Programme.id)
        .order_by(Programme.code)
    )
    return [ProgrammeLine(p.code, p.name, p.description, p.active, int(n)) for p, n in rows.all()]
