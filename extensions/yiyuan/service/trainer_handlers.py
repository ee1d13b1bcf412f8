"""The trainer workspace: my courses, progress per module, stuck learners, publishing.

Trainers see their own courses; administrators see every course (they are not trainers in
``access.require_trainer``, but the federation's staff need the same view). Learners and
association managers get 403. Publishing runs the CLI's code path (``publishing``) in a thread;
GET on the publish endpoint previews it (the same steps, nothing kept) for the page to ask
确认发布？ with what will change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session
from tornado import web

from ..catalog import rights
from ..clock import local_zone
from ..exchange.names import BadName, check_id
from ..i18n import get_catalogue
from ..models import Account, Course, Role
from ..teaching import progress
from .access import course_by_code
from .base import ApiError, ApiHandler, BaseHandler, PageHandler
from .learner_handlers import ROLE_LABELS, dashboard_links
from .publishing import preview_in_thread, publish_in_thread

#: the trainer's authoring page in their own JupyterLab server (authoring/)
AUTHOR_URL = "/hub/user-redirect/yiyuan/author/"
#: the dashboard of one course (learner_handlers.DASHBOARDS)
COURSE_DASHBOARD = "课程详情"
words = get_catalogue()
NOT_FOR_YOU = words.svc_workspace_not_for_you
CODE = r"([a-z][a-z0-9-]{1,39})"


def onsite_sessions(session: Session, course: Course) -> list:
    """The course's on-site sessions, from the onsite package when it is installed (it is
    built alongside this page; without it the page shows none)."""
    try:
        from ..onsite.sessions import sessions_of_course
    except ImportError:
        return []
    return list(sessions_of_course(session, course.id))


def _session_json(item: Any, titles: dict[int, str]) -> dict:
    trainer = getattr(item, "trainer", None)
    return {
        "id": item.id,
        "code": item.code,
        "module": titles.get(item.module_id, ""),
        "place": item.place,
        "starts_at": item.starts_at,
        "hours": item.hours,
        "trainer": (trainer.display_name or trainer.username) if trainer else "",
        "active": item.active,
    }


def course_view(
    session: Session, settings, account: Account, course: Course, now: datetime
) -> dict:
    """Everything the trainer page shows of one course, as JSON-ready data."""
    overview = progress.course_overview(session, course)
    titles = {m.id: m.title for m in course.modules}
    data = overview.as_json()
    data["stuck"] = [vars(s) for s in progress.stuck_learners(session, course, now)]
    data["sessions"] = [_session_json(s, titles) for s in onsite_sessions(session, course)]
    data["may_publish"] = rights.may_publish(session, settings, account, course.code)
    data["grading_url"] = f"grading/{course.code}"
    data["published_at"] = course.published_at
    data["version"] = course.version
    return data


class TrainerMixin:
    """The permission rules of every trainer endpoint."""

    account: Account
    session: Session

    def require_workspace(self) -> None:
        if not (self.account.has_role(Role.trainer) or self.account.has_role(Role.administrator)):
            raise ApiError(403, NOT_FOR_YOU, "not-trainer")

    def viewable_course(self, code: str) -> Course:
        self.require_workspace()
        course = course_by_code(self.session, code)
        if not progress.may_view(self.session, course, self.account):
            raise ApiError(
                403, words.format("svc_view_trainers_only", course=course.title), "not-trainer"
            )
        return course


def workspace(handler: BaseHandler, account: Account) -> dict:
    session, settings = handler.session, handler.settings_
    now = datetime.now(UTC)
    return {
        "courses": [
            course_view(session, settings, account, course, now)
            for course in progress.trainer_courses(session, account)
        ],
        "unpublished": [
            {"code": s.code, "title": s.title, "uploaded": s.uploaded}
            for s in rights.unpublished_sources(session, settings, account)
        ],
        "author_url": AUTHOR_URL,
        "dashboards": [{"title": t, "url": url} for t, _, url in dashboard_links(session, account)],
    }


class CoursesHandler(TrainerMixin, ApiHandler):
    @web.authenticated
    def get(self) -> None:
        self.require_workspace()
        self.write_json(workspace(self, self.account))


class ProgressHandler(TrainerMixin, ApiHandler):
    @web.authenticated
    def get(self, code: str) -> None:
        course = self.viewable_course(code)
        self.write_json(progress.course_overview(self.session, course).as_json())


class StuckHandler(TrainerMixin, ApiHandler):
    """``?idle_days=N`` (1–365, default 14): how long without activity counts as stuck."""

    @web.authenticated
    def get(self, code: str) -> None:
        course = self.viewable_course(code)
        raw = self.get_query_argument("idle_days", "14")
        if not raw.isdigit() or not 1 <= int(raw) <= 365:
            raise ApiError(400, words.svc_bad_idle_days, "bad-idle-days")
        now = datetime.now(UTC)
        learners = progress.stuck_learners(self.session, course, now, idle_days=int(raw))
        self.write_json({"course": course.code, "learners": [vars(s) for s in learners]})


class PublishHandler(TrainerMixin, ApiHandler):
    """GET: what publishing the course from its sources would change (``preview``: true),
    written nowhere. POST: publish it; 200 with the outcome when published, 400 with the
    outcome (``error``, ``problems``) when not. A POST may say which publish it confirms
    (``{"version": 3}``, from the preview): 409 when the course was published since."""

    def publishable(self, code: str) -> None:
        self.require_workspace()
        try:
            check_id(code, words.svc_course_code)
        except BadName as error:
            raise ApiError(400, str(error), "bad-name") from None
        if rights.read_sources(self.settings_, code) is None and not rights.published(
            self.session, code
        ):
            raise ApiError(404, words.format("svc_no_sources", code=code), "no-sources")
        if not rights.may_publish(self.session, self.settings_, self.account, code):
            raise ApiError(
                403,
                words.format("svc_publish_not_allowed", code=code),
                "not-trainer",
            )

    @web.authenticated
    async def get(self, code: str) -> None:
        self.publishable(code)
        self.session.rollback()  # the preview works in a transaction of its own
        outcome = await preview_in_thread(self.settings_, self.database, self.storage, code)
        self.write_json(outcome, status=200 if outcome.get("preview") else 400)

    @web.authenticated
    async def post(self, code: str) -> None:
        self.publishable(code)
        confirms = self.json_body().get("version") if self.request.body else None
        if confirms is not None:
            if not isinstance(confirms, int) or isinstance(confirms, bool):
                raise ApiError(400, words.svc_bad_version, "bad-version")
            course = rights.published(self.session, code)
            upcoming = (course.version if course else 0) + 1
            if confirms != upcoming:
                raise ApiError(
                    409,
                    words.format("svc_published_since", published=upcoming - 1),
                    "published-since",
                )
        actor = self.account.username
        # end our read transaction: the publish writes in its own, in a thread
        self.session.rollback()
        outcome = await publish_in_thread(self.settings_, self.database, self.storage, code, actor)
        self.write_json(outcome, status=200 if outcome["published"] else 400)


class TrainerPageHandler(TrainerMixin, PageHandler):
    """「教师工作台」: the trainer's courses, figures, stuck learners, sessions, publishing."""

    page_title = words.svc_title_trainer

    @web.authenticated
    def get(self) -> None:
        self.require_workspace()
        account = self.account
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        data = workspace(self, account)
        course_dashboard = next(
            (d["url"] for d in data["dashboards"] if d["title"] == COURSE_DASHBOARD), ""
        )
        self.render(
            "trainer.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            data=data,
            course_dashboard=course_dashboard,
            prefix=self.prefix,
            zone=local_zone(),
        )


routes = [
    ("trainer", TrainerPageHandler),
    ("api/trainer/courses", CoursesHandler),
    (rf"api/trainer/courses/{CODE}/progress", ProgressHandler),
    (rf"api/trainer/courses/{CODE}/stuck", StuckHandler),
    (rf"api/trainer/courses/{CODE}/publish", PublishHandler),
]
