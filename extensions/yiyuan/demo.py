"""Demo data for ``make run``: the standard associations and one account of each role.

Seeding is idempotent: existing accounts are left as they are (a changed password stays
changed), so running ``make run`` twice duplicates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from .accounts import service
from .associations import ensure_standard_associations, find_association
from .models import Role

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
    return result
