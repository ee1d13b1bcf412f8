"""On-site sessions: the trainer's roster and check-in codes, the learner's check-in.

Every trainer endpoint answers only a trainer of the session's course or an administrator; the
time of a check-in is the service's clock, never the learner's device.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tornado import web

from ..i18n import get_catalogue
from ..models import Course, Module, OnsiteSession, utcnow
from ..onsite import OnsiteError, attendance, checkin
from ..onsite.sessions import describe, local_time, may_run
from .base import ApiError, ApiHandler, PageHandler

words = get_catalogue()


@contextmanager
def _refusals() -> Iterator[None]:
    """An :class:`OnsiteError` becomes the API's error with its status and Chinese message."""
    try:
        yield
    except OnsiteError as error:
        raise ApiError(error.status, str(error), error.code) from None


class _SessionMixin:
    def onsite_session(self, session_id: str) -> OnsiteSession:
        """The session, if the caller may run it: 404 when unknown, else 403."""
        # ids beyond an integer column exist nowhere (and would be a database error)
        found = self.session.get(OnsiteSession, int(session_id)) if len(session_id) < 10 else None
        if found is None:
            raise ApiError(404, words.svc_no_onsite_session, "no-session")
        if not may_run(self.session, found, self.account):
            raise ApiError(403, words.svc_onsite_not_trainer, "not-trainer")
        return found

    def facts(self, found: OnsiteSession) -> dict[str, Any]:
        module = self.session.get(Module, found.module_id)
        course = self.session.get(Course, module.course_id)
        return {
            "id": found.id,
            "code": found.code,
            "label": describe(found),
            "course": {"code": course.code, "title": course.title},
            "module": {"code": module.code, "title": module.title, "hours": module.hours},
            "place": found.place,
            "starts_at": found.starts_at.isoformat() if found.starts_at else None,
            "starts_local": local_time(found.starts_at),
            "hours": found.hours,
            "trainer": found.trainer.username if found.trainer else "",
            "trainer_name": (found.trainer.display_name or found.trainer.username)
            if found.trainer
            else "",
            "active": found.active,
        }

    def everything(self, found: OnsiteSession) -> dict[str, Any]:
        return {
            **self.facts(found),
            "roster": [line.as_json() for line in attendance.roster(self.session, found)],
            "checkin": checkin.state(found, utcnow()).as_json(),
            "checkin_minutes": self.settings_.onsite.checkin_minutes,
            "max_checkin_minutes": self.settings_.onsite.max_checkin_minutes,
        }


class SessionHandler(_SessionMixin, ApiHandler):
    @web.authenticated
    def get(self, session_id: str) -> None:
        self.write_json(self.everything(self.onsite_session(session_id)))


class AttendanceHandler(_SessionMixin, ApiHandler):
    """``POST {"present": ["wangfang"], "absent": ["liuyang"]}``"""

    @web.authenticated
    def post(self, session_id: str) -> None:
        found = self.onsite_session(session_id)
        body = self.json_body()
        lists = [body.get("present", []), body.get("absent", [])]
        if not all(isinstance(x, list) and all(isinstance(n, str) for n in x) for x in lists):
            raise ApiError(400, words.svc_attendance_lists)
        with _refusals():
            saved = attendance.record_roster(
                self.session, found, self.account, set(lists[0]), set(lists[1]), utcnow()
            )
        self.commit()
        self.write_json(
            {
                "recorded": saved.recorded,
                "corrected": saved.corrected,
                "unchanged": saved.unchanged,
                "message": saved.message,
                "roster": [line.as_json() for line in attendance.roster(self.session, found)],
            }
        )


class CheckinOpenHandler(_SessionMixin, ApiHandler):
    """``POST {"minutes": 15}`` → ``{"code", "closes_at"}``"""

    @web.authenticated
    def post(self, session_id: str) -> None:
        found = self.onsite_session(session_id)
        minutes = self.json_body().get("minutes", self.settings_.onsite.checkin_minutes)
        with _refusals():
            code = checkin.open_checkin(
                self.session, found, self.account, minutes, utcnow(), settings=self.settings_
            )
        self.commit()
        state = checkin.state(found, utcnow()).as_json()
        self.write_json(
            {
                "code": code,
                "closes_at": state["closes_at"],
                "closes_at_local": state["closes_at_local"],
                "message": words.format("svc_checkin_opened", closes_at=state["closes_at_local"]),
            },
            status=201,
        )


class CheckinCloseHandler(_SessionMixin, ApiHandler):
    @web.authenticated
    def post(self, session_id: str) -> None:
        found = self.onsite_session(session_id)
        with _refusals():
            checkin.close_checkin(self.session, found, self.account, utcnow())
        self.commit()
        self.write_json(
            {
                "closed": True,
                "closes_at": found.checkin_closes_at.isoformat(),
                "message": words.svc_checkin_closed,
            }
        )


class MyCheckinHandler(ApiHandler):
    """A learner enters the code: ``POST {"code": "123456"}``."""

    @web.authenticated
    def post(self) -> None:
        code = self.json_body().get("code", "")
        if not isinstance(code, str):
            raise ApiError(400, words.svc_checkin_code_format, "wrong-code")
        try:
            done = checkin.check_in(self.session, self.account, code, utcnow(), self.settings_)
        except OnsiteError as error:
            # a wrong code is counted in the database, shared by every process and replica:
            # the count is kept although the check-in is refused
            self.commit()
            raise ApiError(error.status, str(error), error.code) from None
        self.commit()
        self.write_json(
            {
                "message": done.message,
                "already": done.already,
                "course": done.course,
                "module": done.module,
            }
        )


class SessionPageHandler(_SessionMixin, PageHandler):
    """The trainer's page for one session: roster, check-in code."""

    page_title = words.svc_title_onsite

    @web.authenticated
    def get(self, session_id: str) -> None:
        found = self.onsite_session(session_id)
        self.xsrf_token  # sets the _xsrf cookie the page's script sends back  # noqa: B018
        self.render(
            "session.html",
            account=self.account,
            roles=[words.svc_role_trainer],
            data=self.everything(found),
            prefix=self.prefix,
        )


routes = [
    (r"api/onsite/sessions/(\d+)", SessionHandler),
    (r"api/onsite/sessions/(\d+)/attendance", AttendanceHandler),
    (r"api/onsite/sessions/(\d+)/checkin", CheckinOpenHandler),
    (r"api/onsite/sessions/(\d+)/checkin/close", CheckinCloseHandler),
    (r"api/me/checkin", MyCheckinHandler),
    (r"onsite/sessions/(\d+)", SessionPageHandler),
]
