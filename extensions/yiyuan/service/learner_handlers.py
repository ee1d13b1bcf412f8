"""What a learner asks the service: who am I, my courses and progress, enrol in an elective,
a submission's grading state and its feedback; and the service's home page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import lazyload
from tornado import web

from ..catalog import catalogue, enrolment
from ..clock import local_zone
from ..completion import progress
from ..completion.engine import score_name, submission_score
from ..dashboards import SERVICE_NAME as DASHBOARDS_SERVICE
from ..i18n import get_catalogue
from ..members.directory import ledger
from ..messages import inbox
from ..models import ROLE_LABELS, Account, Course, Grade, GradingJob, ModuleResult, Role
from ..reports.scope import ReportAccessDenied, scope_of
from ..storage import NotInStorage
from .access import course_by_code, module_by_code, submission_for
from .base import ApiError, ApiHandler, BaseHandler, PageHandler
from .feedback_view import feedback_of
from .message_handlers import collect_for

words = get_catalogue()


def open_electives(session, account) -> list[Course]:
    """Active courses the learner is not in yet but may enrol in."""
    return [e.course for e in catalogue.open_courses(session, account) if e.state == "open"]


class MeHandler(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        account = self.account
        self.write_json(
            {
                "username": account.username,
                "display_name": account.display_name,
                "roles": sorted({r.role.value for r in account.roles}),
                "hours_this_year": progress.hours_this_year(self.session, account.id),
            }
        )


class MyCoursesHandler(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        courses = progress.courses_of(self.session, self.account.id)
        self.write_json({"courses": progress.as_json(courses)})


class CatalogHandler(ApiHandler):
    """Published courses the caller is enrolled in or may enrol in (electives)."""

    @web.authenticated
    def get(self) -> None:
        items = [
            {
                "code": e.course.code,
                "title": e.course.title,
                "summary": e.course.summary,
                "category": e.course.category,
                "enrolment": e.course.enrolment,
                "due": e.course.due,
                "hours": e.hours,
                "enrolled": e.enrolment is not None,
                "may_enrol": e.state == "open",
            }
            # the rules of「课程中心」(catalog.catalogue), which lists the same courses
            for e in catalogue.open_courses(self.session, self.account)
        ]
        self.write_json({"courses": items})


class EnrolHandler(ApiHandler):
    @web.authenticated
    def post(self, code: str) -> None:
        course = course_by_code(self.session, code)
        account = self.account
        if enrolment.is_enrolled(self.session, course.id, account.id):
            message = words.format("svc_already_enrolled", course=course.title)
            self.write_json({"enrolled": True, "message": message})
            return
        if not enrolment.may_enrol(self.session, course, account):
            raise ApiError(
                403,
                words.format("svc_not_eligible", course=course.title),
                "not-eligible",
            )
        enrolment.enrol(self.session, course, account, source="self")
        self.commit()
        self.write_json(
            {"enrolled": True, "message": words.format("svc_enrolled", course=course.title)},
            status=201,
        )


class OpenedHandler(ApiHandler):
    """The lesson player tells us a learner opened a module: the portal then shows 学习中.
    Recorded once per learner and module, as an ``opened`` event."""

    @web.authenticated
    def post(self, course_code: str, module_code: str) -> None:
        course = course_by_code(self.session, course_code)
        module = module_by_code(self.session, course, module_code)
        account = self.account
        if not enrolment.is_enrolled(self.session, course.id, account.id):
            raise ApiError(403, words.format("svc_not_taking", course=course.title), "not-enrolled")
        first = progress.record_opened(self.session, account.id, module)
        self.commit()
        self.write_json({"opened": True, "first": first}, status=201 if first else 200)


class SubmissionHandler(ApiHandler):
    """The grading state of one submission: for the lesson page to show the result."""

    @web.authenticated
    def get(self, submission_id: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        self.write_json(submission_state(self.session, self.storage, submission))


def submission_state(session, storage, submission) -> dict:
    """A submission's grading state, its grade and the module's result (``latest``: whether
    the result rests on this submission)."""
    # a lesson asks this every few seconds while grading: the rows alone, not the graph of
    # submission, module and course each of them would load by default
    alone = lazyload("*")
    job = session.scalars(
        select(GradingJob).where(GradingJob.submission_id == submission.id).options(alone)
    ).one_or_none()
    grade = session.scalars(
        select(Grade).where(Grade.submission_id == submission.id).options(alone)
    ).one_or_none()
    result = session.scalars(
        select(ModuleResult)
        .where(
            ModuleResult.account_id == submission.account_id,
            ModuleResult.module_id == submission.module_id,
        )
        .options(alone)
    ).one_or_none()
    status = result.status if result else None
    return {
        "id": submission.id,
        "course": submission.module.course.code,
        "module": submission.module.code,
        "submitted_at": submission.submitted_at,
        "grading": job.state.value if job else "",
        "grading_error": job.error if job else "",
        "grade": None
        if grade is None
        else {
            "auto_score": grade.auto_score,
            "auto_max": grade.auto_max,
            # this submission's score as the module's rule reads it (late penalty included;
            # None without points, or while a total waits for the trainer), and its name
            "score": submission_score(submission.module, grade, submission.submitted_at),
            "score_name": score_name(submission.module.pass_rule),
            "manual_score": grade.manual_score,
            "manual_max": grade.manual_max,
            "needs_manual": grade.needs_manual,
            "feedback": _feedback_files(storage, grade),
        },
        "result": None
        if status is None
        else {
            "status": status.value,
            "status_label": progress.STATUS_LABELS[status],
            "score": result.score,
            "latest": result.submission_id == submission.id,
        },
    }


def _feedback_files(storage, grade: Grade) -> list[str]:
    if not grade.feedback_path:
        return []
    return sorted(name for name in storage.names(grade.feedback_path) if name.endswith(".html"))


class FeedbackFileHandler(BaseHandler):
    """One lesson's feedback page. It shows what the learner's notebook produced, so it is
    served sandboxed: no script of it runs with the viewer's session."""

    @web.authenticated
    def get(self, submission_id: str, name: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        grade = self.session.scalars(
            select(Grade).where(Grade.submission_id == submission.id)
        ).one_or_none()
        if grade is None or not grade.feedback_path or Path(name).name != name:
            raise ApiError(404, words.svc_no_feedback_yet, "no-feedback")
        try:
            page = self.storage.get(self.storage.key(grade.feedback_path, name))
        except (ValueError, NotInStorage):
            raise ApiError(404, words.svc_no_feedback_yet, "no-feedback") from None
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header(
            "Content-Security-Policy",
            "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:",
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(page)


class FeedbackPageHandler(PageHandler):
    """「学习反馈」: one submission's result in words (feedback_view.py), for its learner and
    the course's trainers."""

    page_title = words.svc_title_feedback

    @web.authenticated
    def get(self, submission_id: str) -> None:
        account = self.account
        submission = submission_for(self.session, int(submission_id), account)
        grade = self.session.scalars(
            select(Grade).where(Grade.submission_id == submission.id)
        ).one_or_none()
        pages = _feedback_files(self.storage, grade) if grade else []
        self.render(
            "feedback.html",
            view=feedback_of(self.session, self.settings_, self.storage, submission, grade, pages),
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.prefix,
            zone=local_zone(),
        )


class MyHoursHandler(PageHandler):
    """「我的学时」: the learner's own study-hours ledger for one year (``?year=``), each
    entry with where it came from, and the year's total as the portal and reports count it."""

    page_title = words.svc_title_my_hours

    @web.authenticated
    def get(self) -> None:
        account = self.account
        lines = ledger(self.session, account.id, limit=5000)
        this_year = datetime.now(UTC).astimezone(local_zone()).year
        years = sorted({int(line.date[:4]) for line in lines} | {this_year}, reverse=True)
        wanted = self.get_argument("year", str(this_year))
        if not wanted.isdigit() or int(wanted) not in years:
            raise ApiError(404, words.format("svc_no_hours_year", year=wanted[:8]), "no-year")
        year = int(wanted)
        shown = [line for line in lines if line.date.startswith(f"{year}-")]
        self.set_header("Cache-Control", "no-store")
        self.render(
            "my_hours.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.prefix,
            year=year,
            years=years,
            lines=shown,
            total=round(sum(line.hours for line in shown), 2),
        )


#: the dashboards (``dashboards/*.ipynb``) and who they are for, in the order shown
DASHBOARDS = (
    ("总览", words.svc_dashboard_overview, ("administrator", "manager", "trainer")),
    ("协会详情", words.svc_dashboard_association, ("administrator", "manager")),
    ("课程详情", words.svc_dashboard_course, ("administrator", "trainer")),
    ("期次", words.svc_dashboard_cohort, ("administrator", "manager")),
)


def dashboard_links(session, account: Account) -> list[tuple[str, str, str]]:
    """(title, description, URL) of the dashboards this user may open; none for learners."""
    try:
        scope = scope_of(session, account)
    except ReportAccessDenied:
        return []
    return [
        (title, about, f"/services/{DASHBOARDS_SERVICE}/voila/render/{quote(title)}.ipynb")
        for title, about, roles in DASHBOARDS
        if set(roles) & set(scope.roles)
    ]


class HomeHandler(PageHandler):
    """「我的学习」 in its simplest form: courses, modules and their status."""

    page_title = words.svc_title_portal

    @web.authenticated
    def get(self) -> None:
        account = self.account
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        # never from the back-forward cache: back from a lesson, the portal shows what changed
        self.set_header("Cache-Control", "no-store")
        collect_for(self)
        self.render(
            "home.html",
            news=[m for m in inbox.recent(self.session, account.id, limit=3) if m.read_at is None],
            electives=open_electives(self.session, account),
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            courses=progress.courses_of(self.session, account.id),
            hours=progress.hours_this_year(self.session, account.id),
            prefix=self.prefix,
            zone=local_zone(),
            now=datetime.now(UTC),
            trainer_courses=enrolment.courses_of_trainer(self.session, account.id),
            dashboards=dashboard_links(self.session, account),
            administrator=account.has_role(Role.administrator),
        )


routes = [
    ("", HomeHandler),
    ("api/me", MeHandler),
    ("api/me/courses", MyCoursesHandler),
    ("api/courses", CatalogHandler),
    (r"api/courses/([a-z][a-z0-9-]{1,39})/enrol", EnrolHandler),
    (r"api/me/modules/([a-z][a-z0-9-]{1,39})/([a-z][a-z0-9-]{1,39})/opened", OpenedHandler),
    (r"api/submissions/(\d+)", SubmissionHandler),
    (r"api/submissions/(\d+)/feedback/([^/]+\.html)", FeedbackFileHandler),
    (r"feedback/(\d{1,12})", FeedbackPageHandler),
    ("hours", MyHoursHandler),
]
