"""What a report viewer may see, from their platform account (never from a URL parameter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import YiyuanError
from ..models import Account, Association, CourseTrainer, Role


class ReportAccessDenied(YiyuanError):
    """The viewer holds no role that may see reports (learners, unknown or inactive accounts)."""


@dataclass(frozen=True)
class Scope:
    """Administrators see everything; a manager their associations; a trainer their courses.

    A viewer who is both a manager and a trainer sees the union of both.
    """

    username: str
    everything: bool = False
    association_ids: frozenset[int] = field(default_factory=frozenset)
    course_ids: frozenset[int] = field(default_factory=frozenset)
    #: who the viewer is, in Chinese, for the page header (e.g. "管理员", "书协 协会管理员")
    label: str = ""

    @classmethod
    def all(cls, username: str = "admin", label: str = "管理员") -> Scope:
        return cls(username=username, everything=True, label=label)

    @property
    def roles(self) -> tuple[str, ...]:
        """The viewpoints this scope offers: which dashboards make sense for the viewer."""
        if self.everything:
            return ("administrator",)
        found = []
        if self.association_ids:
            found.append("manager")
        if self.course_ids:
            found.append("trainer")
        return tuple(found)


def viewer_scope(session: Session, username: str) -> Scope:
    """The report scope of the hub user ``username``; refuses anyone who may not see reports."""
    account = session.scalars(select(Account).where(Account.username == username)).one_or_none()
    return scope_of(session, account)


def scope_of(session: Session, account: Account | None) -> Scope:
    """The report scope of an account already loaded (the service's handlers have it)."""
    if account is None or not account.active:
        raise ReportAccessDenied("只有管理员、协会管理员和任课教师可以查看统计报表。")
    username = account.username
    if account.has_role(Role.administrator):
        return Scope.all(username)
    association_ids = frozenset(
        grant.association_id
        for grant in account.roles
        if grant.role == Role.manager and grant.association_id is not None
    )
    course_ids: frozenset[int] = frozenset()
    if account.has_role(Role.trainer):
        course_ids = frozenset(
            session.scalars(
                select(CourseTrainer.course_id).where(CourseTrainer.account_id == account.id)
            )
        )
    if not association_ids and not course_ids:
        raise ReportAccessDenied("只有管理员、协会管理员和任课教师可以查看统计报表。")
    labels = []
    if association_ids:
        names = session.scalars(
            select(Association.short_name)
            .where(Association.id.in_(association_ids))
            .order_by(Association.sort_order)
        )
        labels.append("、".join(names) + " 协会管理员")
    if course_ids:
        labels.append("任课教师")
    return Scope(
        username=username,
        association_ids=association_ids,
        course_ids=course_ids,
        label="；".join(labels),
    )
