"""「课程中心」: the course catalogue a learner searches (words, category, association), each
course's page, and leaving an elective (退出选修). Enrolling is ``api/courses/<code>/enrol``
(learner_handlers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from tornado import web

from ..associations import ALL_ASSOCIATIONS
from ..catalog import catalogue
from ..clock import local_zone
from ..completion import progress
from ..completion.lateness import LatePolicy
from ..i18n import get_catalogue
from ..models import ROLE_LABELS, Module, OnsiteSession
from .access import course_by_code
from .base import ApiError, ApiHandler, PageHandler

words = get_catalogue()
WEEKDAYS = words.svc_weekdays.split()


def local_day(moment: datetime | None) -> str:
    """2027年2月28日 (local time), as a person writes a date; "" for none."""
    if moment is None:
        return ""
    day = moment.astimezone(local_zone())
    return words.format("svc_day", year=day.year, month=day.month, day=day.day)


def local_time(moment: datetime) -> str:
    """2027年1月16日（星期六）09:00, local time: when to be at an on-site session."""
    local = moment.astimezone(local_zone())
    weekday = WEEKDAYS[local.weekday()]
    return words.format(
        "svc_day_time", day=local_day(local), weekday=weekday, time=f"{local:%H:%M}"
    )


def open_entry(handler, code: str) -> catalogue.Entry:
    """The course, if it is open to the caller; one Chinese 404 for a course that does not
    exist, is withdrawn or is for other associations (nobody learns which)."""
    missing = ApiError(404, words.format("svc_course_not_open", code=code), "no-course")
    try:
        course = course_by_code(handler.session, code)
    except ApiError as error:
        if error.status_code == 404:
            raise missing from None
        raise
    entry = catalogue.open_course(handler.session, handler.account, course)
    if entry is None:
        raise missing
    return entry


class CataloguePageHandler(PageHandler):
    """The list: ``?q=`` words, ``?category=``, ``?association=`` (a short name), each empty
    or 全部 for all; filtered on the server, so the page works without scripts."""

    page_title = words.svc_title_catalogue

    @web.authenticated
    def get(self) -> None:
        account = self.account
        entries = catalogue.in_listing_order(catalogue.open_courses(self.session, account))
        form = {
            "q": self.get_argument("q", "").strip()[:50],
            "category": self._choice("category", 40),
            "association": self._choice("association", 20),
        }
        found = catalogue.find(entries, form["q"], form["category"], form["association"])
        self.set_header("Cache-Control", "no-store")
        self.render(
            "catalogue.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.prefix,
            form=form,
            filtered=any(form.values()),
            total=len(entries),
            entries=found,
            categories=catalogue.categories(entries),
            associations=catalogue.association_choices(self.session, account, entries),
            local_day=local_day,
            now=datetime.now(UTC),
        )

    def _choice(self, name: str, longest: int) -> str:
        value = self.get_argument(name, "").strip()[:longest]
        return "" if value in ("全部", ALL_ASSOCIATIONS) else value


@dataclass
class ModuleLine:
    """One module on a course's page, with the learner's own state when enrolled."""

    code: str
    title: str
    kind: str
    hours: float
    required: bool
    #: on-site modules: (when, place) of each session, local time
    sessions: list[tuple[str, str]] = field(default_factory=list)
    mine: progress.ModuleProgress | None = None
    #: the module's own due date (None: the course's)
    due: datetime | None = None

    @property
    def kind_label(self) -> str:
        return words.svc_module_onsite if self.kind == "onsite" else words.svc_module_online


class CoursePageHandler(PageHandler):
    """One course: what it is, who teaches it, its modules and sessions, the learner's own
    state, and 报名 / 开始学习 / 退出选修. ``?done=enrolled|left`` (where the page's script
    goes after an action) says 报名成功 / 已退出选修 when that is what happened."""

    page_title = words.svc_title_catalogue

    @web.authenticated
    def get(self, code: str) -> None:
        account = self.account
        entry = open_entry(self, code)
        course = entry.course
        mine = None
        if entry.enrolment is not None:
            mine = next(
                (c for c in progress.courses_of(self.session, account.id) if c.code == code),
                None,
            )
        own = {m.code: m for m in mine.modules} if mine else {}
        modules = [
            ModuleLine(
                code=m.code,
                title=m.title,
                kind=m.kind.value,
                hours=m.hours,
                required=m.required,
                mine=own.get(m.code),
                due=m.due,
            )
            for m in course.modules
            if m.active
        ]
        self._add_sessions(course, modules)
        done = self.get_argument("done", "")
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        self.set_header("Cache-Control", "no-store")
        self.render(
            "catalogue_course.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.prefix,
            entry=entry,
            course=course,
            modules=modules,
            mine=mine,
            due_state=mine.due_state() if mine else "",
            overdue=course.due is not None and course.due < datetime.now(UTC),
            late_rule=LatePolicy.of(course.late_policy).describe(),
            refusal=catalogue.leave_refusal(entry)[1] if entry.state == "enrolled" else "",
            # only what is true now: an old link does not announce what did not happen
            enrolled_now=done == "enrolled" and entry.enrolment is not None,
            left_now=done == "left" and entry.enrolment is None,
            local_day=local_day,
            back=self._back_to_list(),
        )

    def _add_sessions(self, course, modules: list[ModuleLine]) -> None:
        onsite = {m.code: m for m in modules if m.kind == "onsite"}
        if not onsite:
            return
        rows = self.session.execute(
            select(Module.code, OnsiteSession)
            .join(OnsiteSession, OnsiteSession.module_id == Module.id)
            .where(
                Module.course_id == course.id,
                Module.code.in_(list(onsite)),
                OnsiteSession.active.is_(True),
            )
            .order_by(Module.position, OnsiteSession.position)
        ).all()
        for module_code, sitting in rows:
            when = local_time(sitting.starts_at) if sitting.starts_at else words.svc_time_to_be_set
            onsite[module_code].sessions.append((when, sitting.place or words.svc_place_to_be_set))

    def _back_to_list(self) -> str:
        """Back to the list the learner came from, with its search: the page it was opened
        from, or after an action the ``back`` the page's script passed on (only our list)."""
        prefix = self.prefix
        back = self.get_argument("back", "")
        if not back:
            referer = self.request.headers.get("Referer", "")
            back = "/" + referer.split("://", 1)[-1].partition("/")[2]
        return back if back.startswith(prefix + "courses?") else prefix + "courses"


class LeaveHandler(ApiHandler):
    """退出选修: only an elective the learner enrolled in themselves, before they complete it.
    The enrolment is deactivated; results and hours stay, and 报名 brings it back."""

    @web.authenticated
    def post(self, code: str) -> None:
        entry = open_entry(self, code)
        title = entry.course.title
        if entry.enrolment is None:
            message = words.format("svc_not_enrolled_in", course=title)
            self.write_json({"enrolled": False, "message": message})
            return
        try:
            catalogue.leave(self.session, entry)
        except catalogue.LeaveRefused as refused:
            raise ApiError(403, str(refused), refused.code) from None
        self.commit()
        self.write_json(
            {
                "enrolled": False,
                "message": words.format("svc_left_elective", course=title),
            }
        )


routes = [
    ("courses", CataloguePageHandler),
    (r"courses/([a-z][a-z0-9-]{1,39})", CoursePageHandler),
    (r"api/courses/([a-z][a-z0-9-]{1,39})/leave", LeaveHandler),
]
