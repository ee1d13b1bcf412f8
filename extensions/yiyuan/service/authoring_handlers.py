"""Course sources uploaded from a trainer's JupyterLab, published through the catalogue.

``POST api/authoring/courses/<code>/sources`` takes a tar.gz of ``<code>.yml`` and
``notebooks/<code>/`` (what ``yiyuan.authoring.upload.pack_sources`` makes), refuses anything
else in it, checks who may upload and what the checker says, stores the sources in
``<data_dir>/course-sources`` (the previous upload kept in ``.history``), records the upload in
the audit log and publishes through ``catalog.publish.publish`` — the CLI's code path.

Who may upload: an active trainer listed in the uploaded manifest's ``trainers`` who, when the
course is already published, is also one of its trainers; or an administrator.
"""

from __future__ import annotations

import asyncio
import fcntl
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from tornado import web

from .. import audit
from ..accounts.service import find_account
from ..catalog import sources
from ..courses.check import check_course
from ..courses.manifest import Problem, read_manifest
from ..exchange import archives
from ..exchange.names import BadName, check_id
from ..i18n import get_catalogue
from ..members.rows import associations_matcher
from ..models import Course, Role
from .access import is_trainer
from .base import ApiError
from .exchange_handlers import MB, UploadHandler
from .publishing import publish_in_thread

words = get_catalogue()


@asynccontextmanager
async def one_upload_at_a_time(root: Path, code: str):
    """One upload (store + publish) of a course at a time, across the service's processes
    (``service.processes``): an exclusive ``flock`` on a file per course, waited for in a
    thread so that the process keeps answering others meanwhile."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".upload-{code}.lock", "a") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def problems_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"file": p.file, "where": p.where, "message": p.message} for p in problems]


def refused(code: str, message: str, problems: list[Problem]) -> dict:
    return {
        "published": False,
        "course": code,
        "error": message,
        "code": "problems",
        "problems": problems_json(problems),
    }


def allowed_member(code: str, path: PurePosixPath) -> bool:
    """Only ``<code>.yml`` and files below ``notebooks/<code>/`` belong in an upload."""
    return str(path) == f"{code}.yml" or (
        len(path.parts) > 2 and path.parts[:2] == ("notebooks", code)
    )


@web.stream_request_body
class SourcesHandler(UploadHandler):
    def upload_limit(self) -> int:
        return self.settings_.service.max_release_mb * MB

    def is_admin(self) -> bool:
        return self.has_role(Role.administrator)

    def check_upload(self, code: str) -> None:
        """Before the body is read: a trainer or administrator, and for a published course one
        of its trainers."""
        try:
            check_id(code, words.svc_course_code)
        except BadName as error:
            raise ApiError(400, str(error), "bad-name") from None
        if self.is_admin():
            return
        if not self.has_role(Role.trainer):
            raise ApiError(403, words.svc_upload_trainers_only, "not-trainer")
        course = self.session.scalar(select(Course).where(Course.code == code))
        if course is not None and not is_trainer(self.session, course.id, self.account):
            raise ApiError(
                403,
                words.format("svc_upload_other_trainers", course=course.title, code=code),
                "not-trainer",
            )

    @web.authenticated
    async def post(self, code: str) -> None:
        self.check_upload(code)
        data = self.body()
        limit = self.upload_limit()
        try:
            files = archives.check(data, limit)
        except archives.ArchiveError as error:
            raise ApiError(400, str(error), "bad-archive") from None
        for path in files:
            if not allowed_member(code, path):
                raise ApiError(
                    400,
                    words.format("svc_upload_foreign_file", path=path, code=code),
                    "bad-archive",
                )
        if PurePosixPath(f"{code}.yml") not in files:
            raise ApiError(400, words.format("svc_upload_no_manifest", code=code), "no-manifest")

        root = sources.uploaded_dir(self.settings_)
        async with one_upload_at_a_time(root, code):
            staging = Path(tempfile.mkdtemp(prefix=f".incoming-{code}-", dir=root))
            try:
                incoming = staging / "sources"
                archives.unpack(data, incoming, limit)
                problems = self.check_sources(code, incoming / f"{code}.yml")
                if problems:
                    message = words.format("svc_upload_problems", code=code, count=len(problems))
                    self.write_json(refused(code, message, problems), 400)
                    return
                stamp = sources.store_upload(self.settings_, code, incoming)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            course = self.session.scalar(select(Course).where(Course.code == code))
            audit.record(
                self.session,
                self.account.username,
                "course.sources",
                words.format("svc_audit_upload", code=code, count=len(files)),
                course_id=course.id if course else None,
                target=code,
                detail={"files": len(files), "bytes": len(data), "replaced": stamp},
            )
            self.commit()
            outcome = await publish_in_thread(
                self.settings_, self.database, self.storage, code, self.account.username
            )
        outcome["stored"] = True
        self.write_json(outcome, 201 if outcome.get("published") else 400)

    def check_sources(self, code: str, manifest: Path) -> list[Problem]:
        """The checker's problems; 403 when the caller may not upload this manifest."""
        data, problems = read_manifest(manifest)
        if data is None:
            return problems
        listed = data.get("trainers") if isinstance(data, dict) else None
        listed = [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []
        username = self.account.username
        if not self.is_admin() and username not in listed:
            raise ApiError(
                403,
                words.format("svc_upload_not_listed", username=username, code=code),
                "not-listed",
            )
        matcher = associations_matcher(self.session, self.settings_.city)
        problems = check_course(manifest, matcher).problems
        for name in listed:
            account = find_account(self.session, name)
            if account is None or not account.active or not account.has_role(Role.trainer):
                problems.append(
                    Problem(
                        manifest.name,
                        words.svc_manifest_trainers,
                        words.format("svc_trainer_not_active", name=name),
                    )
                )
        return problems


routes = [(r"api/authoring/courses/([^/]+)/sources", SourcesHandler)]
