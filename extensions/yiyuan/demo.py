"""Demo data for ``make run``: the standard associations, one account of each role, and
memberships for the demo learners (so that courses aimed at an association reach them).

Seeding is idempotent: existing accounts are left as they are (a changed password stays
changed), so running ``make run`` twice duplicates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import service
from .associations.records import ensure_standard_associations, find_association
from .hubgroups import request_hub_sync
from .models import Account, Member, Membership, Role, Standing

#: Shared by every demo account and printed by ``make run``. Demo only.
DEMO_PASSWORD = "yiyuan2026"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    #: short name of the association a manager covers
    manages: str = ""


DEMO_ACCOUNTS = [
    DemoAccount("admin", "王敏（服务中心）", Role.administrator),
    DemoAccount("lihua", "李华老师", Role.trainer),
    DemoAccount("zhouqing", "周青老师", Role.trainer),
    DemoAccount("chenjing", "陈静（书协秘书）", Role.manager, manages="书协"),
    DemoAccount("wangfang", "王芳", Role.learner),
    DemoAccount("liuyang", "刘洋", Role.learner),
    DemoAccount("zhaolei", "赵磊", Role.learner),
    DemoAccount("sunli", "孙丽", Role.learner),
]

#: username → (mobile, [(association short name, standing)]); the numbers are made up
DEMO_MEMBERS: dict[str, tuple[str, list[tuple[str, Standing]]]] = {
    "wangfang": ("19900000001", [("书协", Standing.member), ("美协", Standing.council)]),
    "liuyang": ("19900000002", [("音协", Standing.member)]),
    "zhaolei": ("19900000003", [("作协", Standing.presidium)]),
    "sunli": ("19900000004", [("舞协", Standing.member)]),
}


def seed_demo(session: Session, city: str) -> list[tuple[DemoAccount, bool]]:
    """Create what is missing; returns each demo account and whether it was created now."""
    ensure_standard_associations(session, city)
    result = []
    for demo in DEMO_ACCOUNTS:
        created = service.find_account(session, demo.username) is None
        if created:
            manages = [find_association(session, demo.manages)] if demo.manages else []
            service.create_account(
                session,
                demo.username,
                demo.display_name,
                [demo.role],
                password=DEMO_PASSWORD,
                # demo accounts skip the first-login password change so the demo is quick
                must_change_password=False,
                manages=manages,
            )
        result.append((demo, created))
    if _seed_members(session):
        request_hub_sync(session)
    return result


def _seed_members(session: Session) -> bool:
    """Add the demo learners' member records and memberships that are missing."""
    changed = False
    for username, (mobile, memberships) in DEMO_MEMBERS.items():
        account = session.scalar(select(Account).where(Account.username == username))
        if account is None:
            continue
        member = session.scalar(select(Member).where(Member.account_id == account.id))
        if member is None:
            if session.scalar(select(Member.id).where(Member.mobile == mobile)) is not None:
                continue  # the number belongs to someone imported from a real roster
            member = Member(name=account.display_name, mobile=mobile, account_id=account.id)
            session.add(member)
            changed = True
        have = {m.association_id for m in member.memberships}
        for short, standing in memberships:
            association = find_association(session, short)
            if association.id not in have:
                member.memberships.append(
                    Membership(association_id=association.id, standing=standing)
                )
                changed = True
    session.flush()
    return changed


#: the demo's programme and cohort, so that 培训项目与期次 and the 期次 dashboard are not empty
DEMO_PROGRAMME = ("wenyi-gugan", "文艺骨干培训")
DEMO_COHORT = ("2026-3qi", "2026年第三期文艺骨干培训班")


def seed_demo_cohort(session: Session, actor: str) -> tuple[str, int] | None:
    """The demo cohort for 书协 and 作协 with the published demo courses, its learners enrolled
    by rule; None when it exists already (or no demo course is published yet)."""
    from datetime import date

    from . import cohorts
    from .models import Cohort, Course, Programme

    code, name = DEMO_COHORT
    if session.scalar(select(Cohort.id).where(Cohort.code == code)) is not None:
        return None
    courses = list(
        session.scalars(
            select(Course.code).where(
                Course.active.is_(True), Course.code.in_(("ershida-wenyi", "shufa-jianshang"))
            )
        )
    )
    if not courses:
        return None
    if session.scalar(select(Programme.id).where(Programme.code == DEMO_PROGRAMME[0])) is None:
        cohorts.create_programme(session, *DEMO_PROGRAMME, actor=actor)
    cohort = cohorts.create_cohort(
        session,
        code=code,
        name=name,
        programme_code=DEMO_PROGRAMME[0],
        starts_on=date(2026, 12, 1),
        ends_on=date(2027, 3, 31),
        associations=["书协", "作协"],
        courses=courses,
        certificate={"title": "结业证书"},  # those who finish both courses get the class's too
        actor=actor,
    )
    return name, cohorts.enrol_by_rule(session, cohort, actor=actor)
