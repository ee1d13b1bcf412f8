"""The exchange endpoints (``api/exchange/…``): what nbgrader's exchange does with a shared
folder, done by the service — it checks enrolment, keeps the clock, limits sizes and stores
files atomically (see ``yiyuan.exchange.plugin`` and ``trainer_commands`` for the client side).

Learners see only their own submissions and feedback; a course's trainers see their course's.
Someone else's submission answers 404, as if it did not exist.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from tornado import web
from tornado.iostream import StreamClosedError

from ..catalog import releases
from ..catalog.enrolment import is_enrolled
from ..completion import lateness
from ..exchange import archives
from ..exchange.names import nbgrader_timestamp
from ..i18n import get_catalogue
from ..models import (
    Course,
    CourseTrainer,
    Enrolment,
    Grade,
    Module,
    ModuleKind,
    Submission,
)
from ..storage import NotInStorage, Storage
from .access import course_by_code, is_trainer, module_by_code, require_trainer, submission_for
from .base import ApiError, ApiHandler
from .submissions import late_message, record_submission, submittable

MB = 1024 * 1024

words = get_catalogue()
#: how long a client-supplied timestamp may be (it is only recorded, never used)
CLIENT_TIMESTAMP_CHARS = 64
TAR_GZ = "application/gzip"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _notebooks(module: Module) -> list[str]:
    return [Path(name).stem for name in module.lessons or []]


class UploadHandler(ApiHandler):
    """Bodies are streamed and refused with 413 as soon as they are known to be too large:
    from Content-Length before reading any of it, or while a chunked body streams in.

    With ``drain_oversized`` the refusal waits instead: the body is read and discarded and the
    error (too large, or any :class:`ApiError` from ``check_upload``) is raised by
    :meth:`body`. Browsers uploading through the hub's proxy need this: an answer sent before
    the body is read reaches them as the proxy's 503, not as our Chinese message."""

    #: read an oversized or refused body to its end before answering (see the class doc)
    drain_oversized = False

    def upload_limit(self) -> int:
        """Largest body accepted, in bytes."""
        raise NotImplementedError

    def check_upload(self, *args: str) -> None:
        """Permission checks run before the body is read (override)."""

    def too_large(self) -> ApiError:
        limit = self.upload_limit() // MB
        return ApiError(413, words.format("svc_upload_too_large", limit=limit), "too-large")

    async def prepare(self) -> None:
        await self.resolve_hub_user()
        self._chunks: list[bytes] = []
        self._received = 0
        self._refused = False
        self._deferred: ApiError | None = None
        if self.request.method not in ("PUT", "POST"):
            return
        try:
            self.check_upload(*self.path_args)
            length = self.request.headers.get("Content-Length")
            if length is not None:
                try:
                    size = int(length)
                except ValueError:
                    raise ApiError(400, words.svc_bad_content_length) from None
                if size > self.upload_limit():
                    raise self.too_large()
            elif "chunked" not in self.request.headers.get("Transfer-Encoding", "").lower():
                raise ApiError(411, words.svc_no_content_length, "length-required")
        except ApiError as error:
            if not self.drain_oversized or error.status_code == 411:
                raise
            self._deferred = error  # answered by body(), once the body has been read

    def data_received(self, chunk: bytes) -> None:
        if self._refused or self._finished:
            return
        self._received += len(chunk)
        if self._deferred is not None:
            return  # draining: read and dropped
        if self._received > self.upload_limit():
            self._chunks.clear()
            if self.drain_oversized:
                self._deferred = self.too_large()
                return
            self._refused = True
            error = self.too_large()
            self.send_error(413, exc_info=(type(error), error, None))
            return
        self._chunks.append(chunk)

    def body(self) -> bytes:
        if self._deferred is not None:
            raise self._deferred
        return b"".join(self._chunks)

    def _body_unread(self) -> bool:
        """An answer is going out before the whole body came in (a refusal in ``prepare``:
        too large, not allowed — including checks of subclasses that run before ours)."""
        if self.request.method not in ("PUT", "POST"):
            return False
        length = self.request.headers.get("Content-Length")
        try:
            return length is None or getattr(self, "_received", 0) < int(length)
        except ValueError:
            return True

    def write_error(self, status_code: int, **kwargs) -> None:
        if self._body_unread():
            # the unread body leaves the connection unusable: say so, or the hub's proxy reuses
            # it for the next request (which then fails with 503)
            self.set_header("Connection", "close")
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        # a refused upload closes the connection under the waiting handler: not an error
        if self._refused and isinstance(value, StreamClosedError):
            return
        super().log_exception(typ, value, tb)


# -- listing --------------------------------------------------------------------------------


class AssignmentsHandler(ApiHandler):
    """Modules the caller may fetch (learner) or manages (trainer)."""

    @web.authenticated
    def get(self) -> None:
        account = self.account
        course_code = self.get_query_argument("course_id", "")
        taught = select(CourseTrainer.course_id).where(CourseTrainer.account_id == account.id)
        enrolled = select(Enrolment.course_id).where(
            Enrolment.account_id == account.id, Enrolment.active.is_(True)
        )
        query = (
            select(Module, Course.id.in_(taught).label("teaches"))
            .join(Course, Module.course_id == Course.id)
            .where(
                Course.active.is_(True),
                Module.active.is_(True),
                Module.kind == ModuleKind.online,
                or_(
                    Course.id.in_(taught),
                    Course.id.in_(enrolled)
                    & (Module.release > 0)
                    & Module.released_at.is_not(None),
                ),
            )
            .order_by(Course.code, Module.position)
        )
        if course_code:
            query = query.where(Course.id == course_by_code(self.session, course_code).id)
        items = []
        for module, teaches in self.session.execute(query):
            course = module.course
            items.append(
                {
                    "course_id": course.code,
                    "course_title": course.title,
                    "assignment_id": module.code,
                    "title": module.title,
                    "release": module.release,
                    "released_at": _iso(module.released_at),
                    "due": _iso(lateness.due_of(module)),
                    "late_policy": lateness.policy_of(module).as_dict(),
                    "notebooks": _notebooks(module),
                    "role": "trainer" if teaches else "learner",
                }
            )
        self.write_json({"assignments": items})


def _submission_item(submission: Submission, storage: Storage, feedback: str) -> dict:
    module = submission.module
    files: dict[str, str] = {}
    if feedback:
        for name in sorted(storage.names(feedback)):
            if name.endswith(".html"):
                page = storage.get(storage.key(feedback, name))
                files[name[: -len(".html")]] = hashlib.sha256(page).hexdigest()
    return {
        "id": submission.id,
        "student": submission.account.username,
        "course_id": module.course.code,
        "assignment_id": module.code,
        "submitted_at": _iso(submission.submitted_at),
        "timestamp": nbgrader_timestamp(submission.submitted_at),
        "release": submission.release,
        "late": submission.late,
        "notebooks": _notebooks(module),
        # notebook id → sha256 of its feedback page (what ``nbgrader list`` compares)
        "feedback": files,
    }


class SubmissionListHandler(ApiHandler):
    """Submissions the caller may see. ``scope``: ``own`` (the caller's), ``course`` (every
    learner's of ``course_id``; its trainers only), or both when absent."""

    #: a scope the caller cannot choose (feedback: always their own)
    forced_scope = ""
    only_with_feedback = False

    @web.authenticated
    def get(self) -> None:
        account = self.account
        scope = self.forced_scope or self.get_query_argument("scope", "")
        taught = select(CourseTrainer.course_id).where(CourseTrainer.account_id == account.id)
        query = (
            select(Submission, Grade.feedback_path)
            .join(Module, Submission.module_id == Module.id)
            .join(Course, Module.course_id == Course.id)
            .outerjoin(Grade, Grade.submission_id == Submission.id)
            .order_by(Submission.id)
        )
        course_code = self.get_query_argument("course_id", "")
        module_code = self.get_query_argument("assignment_id", "")
        course = course_by_code(self.session, course_code) if course_code else None
        if scope == "own":
            query = query.where(Submission.account_id == account.id)
        elif scope == "course":
            if course is None:
                raise ApiError(400, words.svc_scope_needs_course)
            require_trainer(self.session, course, account)
        elif scope == "":
            query = query.where(or_(Submission.account_id == account.id, Course.id.in_(taught)))
        else:
            raise ApiError(400, words.format("svc_bad_scope", scope=scope))
        if course is not None:
            query = query.where(Course.id == course.id)
            if module_code:
                query = query.where(
                    Module.id == module_by_code(self.session, course, module_code).id
                )
        elif module_code:
            raise ApiError(400, words.svc_module_needs_course)
        if self.only_with_feedback:
            query = query.where(Grade.feedback_path != "")
        items = [
            _submission_item(submission, self.storage, feedback or "")
            for submission, feedback in self.session.execute(query)
        ]
        self.write_json({"submissions": items})


class FeedbackListHandler(SubmissionListHandler):
    """The caller's own submissions that have feedback (what ``fetch_feedback`` fetches)."""

    forced_scope = "own"
    only_with_feedback = True


# -- releases -------------------------------------------------------------------------------


@web.stream_request_body
class ReleaseHandler(UploadHandler):
    def upload_limit(self) -> int:
        return self.settings_.service.max_release_mb * MB

    def check_upload(self, course_code: str, module_code: str) -> None:
        course = course_by_code(self.session, course_code)
        require_trainer(self.session, course, self.account)

    @web.authenticated
    def get(self, course_code: str, module_code: str) -> None:
        course = course_by_code(self.session, course_code)
        module = module_by_code(self.session, course, module_code)
        account = self.account
        if not is_trainer(self.session, course.id, account):
            if not is_enrolled(self.session, course.id, account.id):
                raise ApiError(
                    403,
                    words.format("svc_fetch_not_enrolled", course=course.title),
                    "not-enrolled",
                )
        if module.release <= 0 or module.released_at is None:
            raise ApiError(
                404, words.format("svc_module_not_released", module=module.title), "not-released"
            )
        try:
            data = self.storage.get(self.storage.release(course.code, module.code, module.release))
        except NotInStorage:
            raise ApiError(
                404,
                words.format("svc_release_missing", module=module.title),
                "release-missing",
            ) from None
        self.set_header("Content-Type", TAR_GZ)
        self.set_header("X-Yiyuan-Release", str(module.release))
        self.finish(data)

    @web.authenticated
    def put(self, course_code: str, module_code: str) -> None:
        course = course_by_code(self.session, course_code)
        require_trainer(self.session, course, self.account)
        module = module_by_code(self.session, course, module_code)
        if module.kind != ModuleKind.online:
            raise ApiError(400, words.format("svc_release_onsite", module=module.title), "onsite")
        data = self.body()
        limit = self.upload_limit()
        try:
            files = archives.check(data, limit)
        except archives.ArchiveError as error:
            raise ApiError(400, str(error), "bad-archive") from None
        if not any(path.suffix == ".ipynb" for path in files):
            raise ApiError(400, words.svc_release_no_notebook, "no-notebook")
        changed = releases.store_release(self.session, self.storage, module, data, limit)
        self.commit()
        self.write_json(
            {
                "course_id": course.code,
                "assignment_id": module.code,
                "release": module.release,
                "released_at": _iso(module.released_at),
                "changed": changed,
            }
        )

    @web.authenticated
    def delete(self, course_code: str, module_code: str) -> None:
        course = course_by_code(self.session, course_code)
        require_trainer(self.session, course, self.account)
        module = module_by_code(self.session, course, module_code)
        releases.withdraw_release(self.session, module)
        self.commit()
        self.write_json({"course_id": course.code, "assignment_id": module.code, "release": 0})


# -- submissions ----------------------------------------------------------------------------


@web.stream_request_body
class SubmitHandler(UploadHandler):
    """A learner submits a module: the archive is kept as sent, the service's clock counts."""

    def upload_limit(self) -> int:
        return self.settings_.service.max_submission_mb * MB

    def check_upload(self, course_code: str, module_code: str) -> None:
        self._module = submittable(self.session, course_code, module_code, self.account)

    @web.authenticated
    def post(self, course_code: str, module_code: str) -> None:
        module = self._module
        account = self.account
        data = self.body()
        try:
            files = archives.check(data, self.upload_limit())
        except archives.ArchiveError as error:
            raise ApiError(400, str(error), "bad-archive") from None
        if not any(path.suffix == ".ipynb" for path in files):
            raise ApiError(400, words.svc_submission_no_notebook, "no-notebook")
        claimed = _client_timestamp(data, self.request.headers.get("X-Yiyuan-Client-Timestamp"))
        try:
            release = int(self.request.headers.get("X-Yiyuan-Release", ""))
        except ValueError:
            release = module.release
        submission = record_submission(
            self.session, self.storage, module, account, data, release, claimed
        )
        self.write_json(
            {
                "id": submission.id,
                "course_id": module.course.code,
                "assignment_id": module.code,
                "submitted_at": _iso(submission.submitted_at),
                "timestamp": nbgrader_timestamp(submission.submitted_at),
                "late": submission.late,
                "late_message": late_message(submission),
            },
            status=201,
        )


def _client_timestamp(data: bytes, header: str | None) -> str:
    """What the learner's machine claims (``timestamp.txt`` or a header): recorded only."""
    claimed = (header or "").strip()
    if not claimed:
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
                for member in archive:
                    if member.isfile() and member.name.lstrip("./") == "timestamp.txt":
                        stream = archive.extractfile(member)
                        if stream is not None:
                            claimed = stream.read(256).decode("utf-8", "replace").strip()
                        break
        except (tarfile.TarError, OSError, EOFError):
            claimed = ""
    return "".join(ch for ch in claimed if ch.isprintable())[:CLIENT_TIMESTAMP_CHARS]


class SubmissionArchiveHandler(ApiHandler):
    @web.authenticated
    def get(self, submission_id: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        try:
            data = self.storage.get(submission.path)
        except (ValueError, NotInStorage):  # no path, an unsafe one, or the file is gone
            raise ApiError(404, words.svc_submission_file_missing, "file-missing") from None
        self.set_header("Content-Type", TAR_GZ)
        self.set_header("X-Yiyuan-Timestamp", nbgrader_timestamp(submission.submitted_at))
        self.finish(data)


# -- feedback -------------------------------------------------------------------------------


@web.stream_request_body
class FeedbackHandler(UploadHandler):
    """A trainer releases feedback pages (``nbgrader release_feedback``) for one submission."""

    def upload_limit(self) -> int:
        return self.settings_.service.max_submission_mb * MB

    def check_upload(self, submission_id: str) -> None:
        self._submission = self._trainers_submission(int(submission_id))

    def _trainers_submission(self, submission_id: int) -> Submission:
        submission = submission_for(self.session, submission_id, self.account)
        require_trainer(self.session, submission.module.course, self.account)
        return submission

    @web.authenticated
    def put(self, submission_id: str) -> None:
        submission = self._submission
        data = self.body()
        try:
            files = archives.check(data, self.upload_limit())
        except archives.ArchiveError as error:
            raise ApiError(400, str(error), "bad-archive") from None
        pages = [path for path in files if path.suffix == ".html" and len(path.parts) == 1]
        if not pages or len(pages) != len(files):
            raise ApiError(400, words.svc_feedback_not_html, "bad-feedback")
        module = submission.module
        folder = self.storage.feedback(
            module.course.code, module.code, submission.account.username, submission.id
        )
        self.storage.put_folder(folder, unpacked(data, self.upload_limit()))
        grade = self.session.scalar(select(Grade).where(Grade.submission_id == submission.id))
        if grade is None:
            grade = Grade(submission_id=submission.id)
            self.session.add(grade)
        grade.feedback_path = folder
        self.commit()
        self.write_json({"id": submission.id, "feedback": sorted(p.stem for p in pages)})


def unpacked(data: bytes, max_bytes: int) -> dict[str, bytes]:
    """The files of a (checked) archive of pages, by name."""
    with tempfile.TemporaryDirectory(prefix="yiyuan-feedback-") as temporary:
        folder = Path(temporary) / "content"
        files = archives.unpack(data, folder, max_bytes)
        return {path.name: (folder / path).read_bytes() for path in files}


class FeedbackArchiveHandler(ApiHandler):
    @web.authenticated
    def get(self, submission_id: str) -> None:
        submission = submission_for(self.session, int(submission_id), self.account)
        grade = self.session.scalar(select(Grade).where(Grade.submission_id == submission.id))
        try:
            pages = self.storage.names(grade.feedback_path) if grade and grade.feedback_path else []
        except ValueError:  # a path that is not a safe key
            pages = []
        if not pages:
            raise ApiError(404, words.svc_no_feedback_yet, "no-feedback")
        with self.storage.local_copy(grade.feedback_path) as folder:
            data = archives.pack(folder, exclude=lambda path: path.suffix != ".html")
        self.set_header("Content-Type", TAR_GZ)
        self.set_header("X-Yiyuan-Timestamp", nbgrader_timestamp(submission.submitted_at))
        self.finish(data)


NAME = r"([^/]+)"

routes: list[tuple[str, type]] = [
    ("api/exchange/assignments", AssignmentsHandler),
    (rf"api/exchange/release/{NAME}/{NAME}", ReleaseHandler),
    ("api/exchange/submissions", SubmissionListHandler),
    # before the course/module route, which would also match "<id>/archive"
    (r"api/exchange/submissions/(\d+)/archive", SubmissionArchiveHandler),
    (rf"api/exchange/submissions/{NAME}/{NAME}", SubmitHandler),
    ("api/exchange/feedback", FeedbackListHandler),
    (r"api/exchange/feedback/(\d+)", FeedbackHandler),
    (r"api/exchange/feedback/(\d+)/archive", FeedbackArchiveHandler),
]
