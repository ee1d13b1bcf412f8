"""培训项目与期次 in the administrator workspace: two pages and their JSON API, over the same
functions as ``yiyuan programmes`` / ``yiyuan cohorts`` (:mod:`yiyuan.cohorts`).

Pages: ``admin/cohorts`` (every programme and cohort, the two creation forms) and
``admin/cohorts/<code>`` (targets, courses, members; enrol by rule after a preview, add by
hand, close after a confirmation). Every write is a POST with a JSON body.
"""

from __future__ import annotations

from sqlalchemy import select
from tornado import web

from .. import cohorts
from ..associations import ALL_ASSOCIATIONS
from ..i18n import get_catalogue
from ..members.normalise import STANDING_LABELS
from ..models import Association, Course
from .admin import AdminApi, AdminPage
from .base import ApiError
from .certificate_views import cohort_certificates, issuers
from .learner_handlers import dashboard_links

#: a programme or cohort code in a route (cohorts.common.CODE_PATTERN)
CODE = r"([a-z0-9][a-z0-9-]{1,39})"
#: the dashboard that shows cohorts (learner_handlers.DASHBOARDS)
COHORT_DASHBOARD = "期次"
#: at most this many people in one 手工添加
MAX_PEOPLE = 2000

words = get_catalogue()


class _CohortMixin:
    def _cohort(self, code: str):
        try:
            return cohorts.get_cohort(self.session, code)  # type: ignore[attr-defined]
        except cohorts.CohortNotFound as error:
            raise ApiError(404, str(error), "no-cohort") from None

    def _list(self, data: dict, key: str) -> list[str]:
        value = data.get(key) or []
        if isinstance(value, str):
            value = value.splitlines()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ApiError(400, words.format("svc_admin_field_not_list", key=key), "bad-request")
        return value

    def _text(self, data: dict, key: str) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            raise ApiError(400, words.format("svc_admin_field_not_text", key=key), "bad-request")
        return value


def _programmes_json(session) -> list[dict]:
    return [
        {
            "code": p.code,
            "name": p.name,
            "description": p.description,
            "active": p.active,
            "cohorts": p.cohorts,
        }
        for p in cohorts.list_programmes(session)
    ]


class ProgrammesApi(_CohortMixin, AdminApi):
    @web.authenticated
    def get(self) -> None:
        self.write_json({"programmes": _programmes_json(self.session)})

    @web.authenticated
    def post(self) -> None:
        data = self.json_body()
        programme = cohorts.create_programme(
            self.session,
            self._text(data, "code"),
            self._text(data, "name"),
            self._text(data, "description"),
            actor=self.account.username,
        )
        self.commit()
        self.write_json({"code": programme.code, "name": programme.name}, status=201)


class CohortsApi(_CohortMixin, AdminApi):
    @web.authenticated
    def get(self) -> None:
        self.write_json({"cohorts": cohorts.cohort_summary(self.session)})

    @web.authenticated
    def post(self) -> None:
        data = self.json_body()
        cohort = cohorts.create_cohort(
            self.session,
            code=self._text(data, "code"),
            name=self._text(data, "name"),
            programme_code=self._text(data, "programme"),
            starts_on=self._text(data, "starts_on"),
            ends_on=self._text(data, "ends_on"),
            associations=self._list(data, "associations"),
            standings=self._list(data, "standings"),
            courses=self._list(data, "courses"),
            description=self._text(data, "description"),
            actor=self.account.username,
        )
        self.commit()
        self.write_json({"code": cohort.code, "name": cohort.name}, status=201)


class CohortApi(_CohortMixin, AdminApi):
    @web.authenticated
    def get(self, code: str) -> None:
        self._cohort(code)
        self.write_json(cohorts.cohort_detail(self.session, code))


class RuleTargetsApi(_CohortMixin, AdminApi):
    @web.authenticated
    def get(self, code: str) -> None:
        self.write_json(cohorts.preview_rule(self.session, self._cohort(code), sample=20))


class EnrolApi(_CohortMixin, AdminApi):
    @web.authenticated
    def post(self, code: str) -> None:
        cohort = self._cohort(code)
        try:
            added = cohorts.enrol_by_rule(self.session, cohort, self.account.username)
        except cohorts.CohortClosed as error:
            raise ApiError(409, str(error), "closed") from None
        detail = cohorts.cohort_detail(self.session, code)
        self.commit()
        self.write_json({"added": added, "members": detail["members"]})


class MembersApi(_CohortMixin, AdminApi):
    @web.authenticated
    def post(self, code: str) -> None:
        cohort = self._cohort(code)
        people = self._list(self.json_body(), "people")
        if len(people) > MAX_PEOPLE:
            raise ApiError(
                400, words.format("svc_admin_too_many_people", max_people=MAX_PEOPLE), "too-many"
            )
        try:
            added, problems = cohorts.add_members(
                self.session, cohort, people, self.account.username
            )
        except cohorts.CohortClosed as error:
            raise ApiError(409, str(error), "closed") from None
        self.commit()
        self.write_json({"added": added, "problems": problems})


class CloseApi(_CohortMixin, AdminApi):
    @web.authenticated
    def post(self, code: str) -> None:
        cohort = self._cohort(code)
        try:
            cohorts.close_cohort(self.session, cohort, self.account.username)
        except cohorts.CohortClosed as error:
            raise ApiError(409, str(error), "closed") from None
        self.commit()
        self.write_json({"code": cohort.code, "active": False})


def _dashboard(session, account) -> str:
    return next(
        (url for title, _, url in dashboard_links(session, account) if title == COHORT_DASHBOARD),
        "",
    )


class CohortsPage(_CohortMixin, AdminPage):
    nav_key = "cohorts"
    page_title = words.svc_admin_nav_cohorts

    @web.authenticated
    def get(self) -> None:
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        session = self.session
        self.render_admin(
            "admin_cohorts.html",
            programmes=_programmes_json(session),
            cohorts=cohorts.cohort_summary(session),
            associations=session.execute(
                select(Association.code, Association.short_name)
                .where(Association.active.is_(True))
                .order_by(Association.sort_order, Association.id)
            ).all(),
            all_associations=ALL_ASSOCIATIONS,
            standings=list(STANDING_LABELS.items()),
            courses=session.execute(
                select(Course.code, Course.title)
                .where(Course.active.is_(True))
                .order_by(Course.code)
            ).all(),
            dashboard=_dashboard(session, self.account),
        )


class CohortPage(_CohortMixin, AdminPage):
    nav_key = "cohorts"
    page_title = words.svc_admin_title_cohort

    @web.authenticated
    def get(self, code: str) -> None:
        self.xsrf_token  # noqa: B018
        cohort = self._cohort(code)
        self.render_admin(
            "admin_cohort.html",
            cohort=cohorts.cohort_detail(self.session, code),
            certificates=cohort_certificates(self.session, self.settings_, cohort),
            issuers=issuers(self.settings_),
            dashboard=_dashboard(self.session, self.account),
        )


routes = [
    ("admin/cohorts", CohortsPage),
    (rf"admin/cohorts/{CODE}", CohortPage),
    ("api/admin/programmes", ProgrammesApi),
    ("api/admin/cohorts", CohortsApi),
    (rf"api/admin/cohorts/{CODE}", CohortApi),
    (rf"api/admin/cohorts/{CODE}/rule-targets", RuleTargetsApi),
    (rf"api/admin/cohorts/{CODE}/enrol", EnrolApi),
    (rf"api/admin/cohorts/{CODE}/members", MembersApi),
    (rf"api/admin/cohorts/{CODE}/close", CloseApi),
]
