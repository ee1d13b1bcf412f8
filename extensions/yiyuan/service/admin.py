"""The administrator workspace's common ground: only administrators pass, and every page
shares one navigation (概览, 会员, 导入名册, 培训项目与期次, 课程, 学时, 审计日志).

Handlers of the workspace subclass :class:`AdminPage` (HTML) or :class:`AdminApi` (JSON); the
role is checked in ``prepare``, before any method runs, so a new handler cannot forget it.
"""

from __future__ import annotations

from ..i18n import get_catalogue
from ..models import Role
from .base import ApiHandler, PageHandler

words = get_catalogue()

#: (key, label, path below the service prefix): the workspace's navigation, in order
NAV = (
    ("home", words.svc_admin_nav_home, "admin"),
    ("members", words.svc_admin_nav_members, "admin/members"),
    ("roster", words.svc_admin_nav_roster, "admin/roster"),
    ("cohorts", words.svc_admin_nav_cohorts, "admin/cohorts"),
    ("courses", words.svc_admin_nav_courses, "admin/courses"),
    ("hours", words.svc_admin_nav_hours, "admin/hours"),
    ("audit", words.svc_admin_nav_audit, "audit"),
)


class AdminOnly:
    """Refuses everyone but administrators (403) once the caller is known; anonymous
    callers meet ``web.authenticated`` (login redirect for pages, 401 for the API)."""

    async def prepare(self):
        # checked before the base's prepare (an upload's reads the body's size)
        await self.resolve_hub_user()  # type: ignore[attr-defined]
        if self.current_user:  # type: ignore[attr-defined]
            self.require_role(Role.administrator)  # type: ignore[attr-defined]
        result = super().prepare()  # type: ignore[misc]
        if result is not None:
            await result


class AdminPage(AdminOnly, PageHandler):
    #: this page's key in :data:`NAV`
    nav_key = "home"

    def render_admin(self, template: str, **values) -> None:
        """Render a workspace page: the caller, the navigation and the service prefix."""
        self.render(
            template,
            account=self.account,
            roles=[words.svc_admin_role],
            nav=NAV,
            nav_key=self.nav_key,
            prefix=self.prefix,
            **values,
        )


class AdminApi(AdminOnly, ApiHandler):
    pass
