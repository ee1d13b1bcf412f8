"""The administrator workspace's own pages: 概览 (``admin``) and 课程 (``admin/courses``), and
their JSON. Members, rosters, cohorts and study hours have modules of their own
(``admin_*_handlers.py``); the audit log is ``audit_handlers.py``."""

from __future__ import annotations

from tornado import web

from .. import audit
from ..catalog.overview import course_lines
from ..clock import local_zone
from ..glance import platform_figures
from ..i18n import get_catalogue
from .admin import AdminApi, AdminPage
from .learner_handlers import dashboard_links

#: entries of the audit log on the first page
RECENT = 10

words = get_catalogue()


class OverviewApi(AdminApi):
    @web.authenticated
    def get(self) -> None:
        self.write_json(platform_figures(self.session).as_json())


class CoursesApi(AdminApi):
    @web.authenticated
    def get(self) -> None:
        lines = course_lines(self.session, self.settings_)
        self.write_json({"courses": [line.as_json() for line in lines]})


class HomePage(AdminPage):
    page_title = words.svc_admin_title_home
    nav_key = "home"

    @web.authenticated
    def get(self) -> None:
        recent = audit.entries(self.session, limit=RECENT)
        self.render_admin(
            "admin_home.html",
            figures=platform_figures(self.session),
            recent=audit.as_table(self.session, recent),
            dashboards=dashboard_links(self.session, self.account),
        )


class CoursesPage(AdminPage):
    page_title = words.svc_admin_nav_courses
    nav_key = "courses"

    @web.authenticated
    def get(self) -> None:
        self.render_admin(
            "admin_courses.html",
            lines=course_lines(self.session, self.settings_),
            zone=local_zone(),
        )


routes = [
    ("api/admin/overview", OverviewApi),
    ("api/admin/courses", CoursesApi),
    ("admin", HomePage),
    ("admin/courses", CoursesPage),
]
