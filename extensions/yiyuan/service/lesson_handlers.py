"""Compiled lessons, played by the service: no Jupyter server, no kernel per learner.

- ``lessons/<course>/<module>/[<lesson>]``: the compiled page (yiyuan.catalog.compile) with
  the platform's scripts and the learner's saved answers put in; a live module is sent on to
  the Voila player in the learner's own server.
- ``api/lessons/<course>/<module>/answers``: GET the saved answers, PUT changes (the page
  saves as the learner works); kept per learner and module (``LessonAnswers``).
- ``api/lessons/<course>/<module>/submit``: POST ``{"check": true}`` lists what is missing;
  POST ``{}`` submits: the release plus the answers as ``answers.json`` (the sidecar), graded
  by the grading worker exactly like a submission from a Jupyter server.
- ``api/lessons/<course>/<module>/result/<id>``: what the page shows under the button.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from tornado import web
from tornado.escape import xhtml_escape

from ..catalog import compile as compiled_lessons
from ..catalog.enrolment import is_enrolled
from ..completion import lateness, progress
from ..exchange import archives
from ..i18n import get_catalogue
from ..lesson import compiled, platform_submit
from ..lesson import submit as lesson_texts
from ..lesson.sidecar import FILENAME as SIDECAR
from ..lesson.sidecar import Sidecar
from ..models import LessonAnswers, Module, ModuleKind, Role, Submission, utcnow
from .access import is_trainer, module_by_codes, submission_for
from .base import ApiError, ApiHandler, PageHandler
from .learner_handlers import submission_state
from .static_files import math_assets, static_url
from .submissions import late_message, record_submission, submittable

MB = 1024 * 1024
#: the largest answers body a page may send (a few long reflections)
MAX_ANSWERS_BYTES = 256 * 1024
words = get_catalogue()
NOT_COMPILED = words.svc_lesson_not_compiled


def _module(handler: Any, course_code: str, module_code: str) -> tuple[Module, bool]:
    """The module and whether the caller learns in it (else a trainer or admin previews)."""
    module = module_by_codes(handler.session, course_code, module_code)
    course = module.course
    account = handler.account
    learner = is_enrolled(handler.session, course.id, account.id)
    if not learner and not (
        is_trainer(handler.session, course.id, account) or handler.has_role(Role.administrator)
    ):
        raise ApiError(
            403, words.format("svc_lesson_not_enrolled", course=course.title), "not-enrolled"
        )
    if module.kind != ModuleKind.online or module.release <= 0 or module.released_at is None:
        raise ApiError(
            404, words.format("svc_module_not_released", module=module.title), "not-released"
        )
    return module, learner


def _spec(handler: Any, module: Module) -> dict:
    spec = compiled_lessons.spec_of(handler.storage, module)
    if spec is None:
        raise ApiError(503, NOT_COMPILED, "not-compiled")
    return spec


def _last_submission(session, account_id: int, module_id: int) -> int | None:
    return session.scalar(
        select(Submission.id)
        .where(Submission.account_id == account_id, Submission.module_id == module_id)
        .order_by(Submission.id.desc())
        .limit(1)
    )


def place_of(module: Module) -> tuple[int, int]:
    """The module's place among its course's online and on-site units (第 N / M 单元)."""
    units = [m for m in module.course.modules if m.active]
    return (units.index(module) + 1 if module in units else 0), len(units)


def next_module(module: Module) -> Module | None:
    """The unit after this one that a learner can open (released, online), if any."""
    units = [m for m in module.course.modules if m.active]
    later = units[units.index(module) + 1 :] if module in units else []
    return next(
        (m for m in later if m.kind == ModuleKind.online and m.release > 0 and m.released_at),
        None,
    )


def _saved(session, account_id: int, module_id: int) -> LessonAnswers | None:
    return session.scalars(
        select(LessonAnswers).where(
            LessonAnswers.account_id == account_id, LessonAnswers.module_id == module_id
        )
    ).one_or_none()


def _script_json(data: Any) -> str:
    # inside <script>: no "</" can end the element early
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class LessonPageHandler(PageHandler):
    page_title = words.svc_title_lesson

    @web.authenticated
    def get(self, course_code: str, module_code: str, lesson_name: str | None = None) -> None:
        module, learner = _module(self, course_code, module_code)
        spec = _spec(self, module)
        if spec.get("live"):
            # live code needs a kernel: the Voila player in the learner's own server (or
            # JupyterLab, for a module where learners write code)
            lab = "?lab=1" if spec.get("player") == "jupyterlab" else ""
            self.redirect(f"/hub/user-redirect/yiyuan/open/{module.course.code}/{module.code}{lab}")
            return
        lessons = spec["lessons"]
        if not lessons:
            raise ApiError(404, words.svc_lesson_none, "no-lesson")
        names = [lesson["name"] for lesson in lessons]
        if lesson_name is None:
            preferred = f"{module.code}.ipynb"
            lesson_name = preferred if preferred in names else names[0]
        if lesson_name not in names:
            raise ApiError(404, words.svc_lesson_missing, "no-lesson")
        lesson = lessons[names.index(lesson_name)]
        page = compiled_lessons.page_of(self.storage, module, lesson_name)
        saved = _saved(self.session, self.account.id, module.id)
        if learner:
            progress.record_opened(self.session, self.account.id, module)
            self.commit()
        prefix = self.prefix
        data = {
            "course": module.course.code,
            "module": module.code,
            "lesson": lesson_name,
            "learner": learner,
            "questions": lesson["questions"],
            "answers": saved.answers if saved else {},
            "revision": saved.revision if saved else 0,
            "api": f"{prefix}api/lessons/{module.course.code}/{module.code}/",
            "portal": prefix,
            "texts": TEXTS,
            # the due date and what happens after it, shown before the learner submits
            "due": lateness.due_text(module) if learner else "",
            # a reopened module shows how its last submission went
            "last_submission": _last_submission(self.session, self.account.id, module.id)
            if learner
            else None,
        }
        _ = self.xsrf_token  # sets the _xsrf cookie the page's saves send back
        self.set_header("Cache-Control", "no-store")  # it holds the learner's answers
        self.finish(_page(page, prefix, module, lesson, lessons, data, self.account.large_text))


#: what the page says, in one place with the kernel's words (yiyuan.lesson.submit)
TEXTS = {
    "confirm": lesson_texts.CONFIRM,
    "cancelled": lesson_texts.CANCELLED,
    "submitting": lesson_texts.SUBMITTING,
    "submitted": platform_submit.SUCCESS,
    "failed": lesson_texts.FAILED,
    "still_grading": platform_submit.STILL_GRADING,
    "saved": words.svc_lesson_saved,
    "saving": words.svc_lesson_saving,
    "save_failed": words.svc_lesson_save_failed,
    "written": words.svc_lesson_written,
    "written_min": words.svc_lesson_written_min,
    "last": words.svc_lesson_last,
    "progress": words.svc_lesson_progress,
    "contents": words.svc_lesson_contents,
}


def _place_text(module: Module) -> str:
    number, total = place_of(module)
    return words.format("svc_lesson_place", number=number, total=total) if number else ""


def _page(
    page: str,
    prefix: str,
    module: Module,
    lesson: dict,
    lessons: list,
    data: dict,
    large_text: bool = False,
) -> str:
    head = (
        f'<link rel="stylesheet" href="{static_url(prefix, "lesson", "lesson.css")}">\n'
        f'<script>window.__jupyter_widgets_assets_path__ = "{prefix}static/widgets/";</script>'
    )
    links = ""
    if len(lessons) > 1:
        items = []
        for other in lessons:
            href = f"{prefix}lessons/{module.course.code}/{module.code}/{quote(other['name'])}"
            current = ' aria-current="page"' if other is lesson else ""
            items.append(f'<li><a href="{href}"{current}>{xhtml_escape(other["title"])}</a></li>')
        links = (
            f'<nav class="yiyuan-lessons" aria-label="{xhtml_escape(words.svc_lesson_list)}">'
            f"<ul>{''.join(items)}</ul></nav>"
        )
    header = (
        '<header class="yiyuan-bar" role="banner">'
        f'<a class="yiyuan-back" href="{xhtml_escape(prefix)}">'
        f"{xhtml_escape(words.svc_back_arrow)}</a>"
        # the 大字 switch of every service page (static/page/large-text.js); beside the way
        # back, so that on a phone the two share a row
        '<button type="button" class="yiyuan-large-text" data-large-text '
        f'data-url="{xhtml_escape(prefix)}api/me/preferences" data-status="yiyuan-large-text-status" '
        f'aria-pressed="{"true" if large_text else "false"}" '
        f'title="{xhtml_escape(words.svc_large_text_hint)}">'
        f"{xhtml_escape(words.svc_large_text)}</button>"
        f'<span class="yiyuan-where">{xhtml_escape(module.course.title)} · '
        f"{_place_text(module)}{xhtml_escape(module.title)}</span>"
        # how much of the page's questions is done (static/lesson/lesson.js)
        '<span class="yiyuan-progress"></span>'
        '<span class="yiyuan-save-state" role="status" aria-live="polite"></span>'
        '<span id="yiyuan-large-text-status" aria-live="polite"></span>'
        f"</header>{links}"
    )
    body_end = (
        f'<script id="yiyuan-lesson-data" type="application/json">{_script_json(data)}</script>\n'
        # the lesson's LaTeX ($…$ in its Markdown), drawn by KaTeX from the service's files:
        # before require.js, which KaTeX's scripts would otherwise register with
        + math_assets(prefix, defer=False)
        + f'<script src="{static_url(prefix, "requirejs", "require.js")}"></script>\n'
        f'<script src="{static_url(prefix, "widgets", "libembed-amd.js")}"></script>\n'
        f'<script src="{static_url(prefix, "lesson", "lesson.js")}"></script>\n'
        f'<script src="{static_url(prefix, "page", "large-text.js")}"></script>'
    )
    page = page.replace("<body ", "<body data-math ", 1)
    if large_text:  # on from the first paint, as on every other page
        page = page.replace("<html", '<html class="large-text"', 1)
    return (
        page.replace("<!--yiyuan:head-->", head, 1)
        .replace("<!--yiyuan:header-->", header, 1)
        .replace("<!--yiyuan:body-end-->", body_end, 1)
    )


class AnswersHandler(ApiHandler):
    @web.authenticated
    def get(self, course_code: str, module_code: str) -> None:
        module, _ = _module(self, course_code, module_code)
        saved = _saved(self.session, self.account.id, module.id)
        self.write_json(
            {
                "answers": saved.answers if saved else {},
                "revision": saved.revision if saved else 0,
                "updated_at": saved.updated_at if saved else None,
            }
        )

    @web.authenticated
    def put(self, course_code: str, module_code: str) -> None:
        module, _ = _module(self, course_code, module_code)
        if len(self.request.body) > MAX_ANSWERS_BYTES:
            raise ApiError(413, words.svc_answers_too_long, "too-large")
        changes = self.json_body().get("answers")
        if not isinstance(changes, dict):
            raise ApiError(400, words.svc_no_answers, "no-answers")
        saved = save_answers(self.session, self.account.id, module, _spec(self, module), changes)
        self.commit()
        self.write_json({"revision": saved.revision, "updated_at": saved.updated_at})


def save_answers(
    session, account_id: int, module: Module, spec: dict, changes: dict
) -> LessonAnswers:
    """Merge checked ``changes`` (None clears an answer) into the learner's saved answers."""
    try:
        checked = compiled.check_answers(compiled_lessons.questions_of(spec), changes)
    except compiled.BadAnswer as error:
        raise ApiError(400, str(error), "bad-answer") from None
    saved = _saved(session, account_id, module.id)
    if saved is None:
        saved = LessonAnswers(account_id=account_id, module_id=module.id, answers={}, revision=0)
        session.add(saved)
    answers = dict(saved.answers or {})
    for question_id, value in checked.items():
        if value is None:
            answers.pop(question_id, None)
        else:
            answers[question_id] = value
    saved.answers = answers  # a new dict: the JSON column sees the change
    saved.revision = (saved.revision or 0) + 1
    saved.updated_at = utcnow()
    session.flush()
    return saved


class LessonSubmitHandler(ApiHandler):
    @web.authenticated
    def post(self, course_code: str, module_code: str) -> None:
        module = submittable(self.session, course_code, module_code, self.account)
        spec = _spec(self, module)
        body = self.json_body()
        account = self.account
        changes = body.get("answers")
        if isinstance(changes, dict) and changes:
            save_answers(self.session, account.id, module, spec, changes)
            self.commit()
        saved = _saved(self.session, account.id, module.id)
        answers = dict(saved.answers) if saved else {}
        missing = compiled.missing(compiled_lessons.questions_of(spec), answers)
        if missing:
            message = words.format("svc_items_missing", count=len(missing))
            self.write_json({"ok": False, "message": message, "missing": missing}, status=409)
            return
        if body.get("check"):
            # late work the policy takes: the learner reads what it costs before confirming
            notice = lateness.late_text(lateness.judge_module(module, utcnow()))
            self.write_json({"ok": True, "missing": [], "notice": notice})
            return
        data = self._archive(module, answers)
        submission = record_submission(
            self.session, self.storage, module, account, data, module.release
        )
        said = " ".join(filter(None, [platform_submit.SUCCESS, late_message(submission)]))
        self.write_json({"id": submission.id, "message": said}, status=201)

    def _archive(self, module: Module, answers: dict) -> bytes:
        """The release as the learner's folder would hold it, with their answers file."""
        release = self.storage.get(
            self.storage.release(module.course.code, module.code, module.release)
        )
        limit = self.settings_.service.max_submission_mb * MB
        with tempfile.TemporaryDirectory(prefix="yiyuan-submit-") as temporary:
            folder = Path(temporary) / module.code
            archives.unpack(release, folder, limit)
            # the answers file exactly as the lesson's widgets write it (the one definition)
            Sidecar(folder / SIDECAR).update(answers)
            data = archives.pack(folder)
        if len(data) > limit:
            raise ApiError(413, words.svc_submission_too_large, "too-large")
        return data


class LessonResultHandler(ApiHandler):
    @web.authenticated
    def get(self, course_code: str, module_code: str, submission_id: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        if (submission.module.course.code, submission.module.code) != (course_code, module_code):
            raise ApiError(404, words.svc_no_submission, "no-submission")
        state = submission_state(self.session, self.storage, submission)
        service_url = self.prefix
        outcome, final = platform_submit.result_outcome(state, service_url)
        if outcome is None:
            self.write_json({"final": False})
            return
        following = None
        if (state.get("result") or {}).get("status") == "passed":
            after = next_module(submission.module)
            following = (
                [
                    words.format("svc_next_module", module=after.title),
                    f"{service_url}lessons/{course_code}/{after.code}/",
                ]
                if after
                else [words.svc_back_to_portal, service_url]
            )
        self.write_json(
            {
                "final": final,
                "ok": outcome.ok,
                "message": outcome.message,
                "link": list(outcome.link) if outcome.link else None,
                "next": following,
            }
        )


MODULE = r"([a-z][a-z0-9-]{1,39})/([a-z][a-z0-9-]{1,39})"
LESSON = r"([A-Za-z0-9_.-]{1,100}\.ipynb)"

routes = [
    (rf"lessons/{MODULE}/?", LessonPageHandler),
    (rf"lessons/{MODULE}/{LESSON}", LessonPageHandler),
    (rf"api/lessons/{MODULE}/answers", AnswersHandler),
    (rf"api/lessons/{MODULE}/submit", LessonSubmitHandler),
    (rf"api/lessons/{MODULE}/result/([0-9]{{1,12}})", LessonResultHandler),
]
