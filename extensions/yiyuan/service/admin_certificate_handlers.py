"""结业证书 in the administrator workspace, over :mod:`yiyuan.certificates` (which audits):

- a member's certificates and statements: revoke (撤销), reissue (重新颁发, e.g. a corrected
  name) and issue by hand (补发) for a completed course or class that has none;
- a class's certificate: its setting (title, issuer) through ``cohorts.update_cohort``, the
  batch job (批量颁发) with its progress, all valid PDFs as one ZIP, and the register (Excel).

The batch job runs in a child process of the service (:func:`start_job`): it does not hold up
the event loop, it is reaped when it ends, and it dies with the service (``die_with_parent``);
its progress is in the database, so any service process answers the page's polling. ZIP and
register are built in a thread and audited (``certificate.export``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session
from tornado import web

from .. import audit, cohorts
from ..certificates import files, issuing, jobs
from ..db import Database
from ..i18n import get_catalogue
from ..models import (
    Account,
    Certificate,
    CertificateJob,
    Cohort,
    utcnow,
)
from .admin import AdminApi
from .admin_cohort_handlers import CODE, _CohortMixin
from .admin_member_handlers import USERNAME
from .base import XLSX, ApiError
from .certificate_views import certificate_json, cohort_certificates, issuers, member_certificates

log = logging.getLogger("yiyuan.service")
words = get_catalogue()

#: a serial in a route: loose on purpose, so that a mistyped one gets a Chinese 404
SERIAL = r"([0-9A-Za-z-]{1,40})"
#: the child that runs a batch job: ``yiyuan certificates run-job``, which ends with the service
CHILD = ("-m", "yiyuan.cli", "certificates", "run-job")
#: the reaping tasks of running children (a task nobody references may be collected)
_CHILDREN: set[asyncio.Task] = set()


# --- the batch job's process ----------------------------------------------------------------


async def start_job(database: Database, job_id: int) -> None:
    """Run job ``job_id`` in a child process; a task reaps it and marks the job failed if the
    process ended without saying so (it could not start, or was killed)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *CHILD,
        str(job_id),
        stdin=subprocess.DEVNULL,
        env=dict(os.environ),  # YIYUAN_CONFIG, YIYUAN_DATA_DIR, YIYUAN_DB_URL: our settings
    )
    log.info("certificate job %s: process %s", job_id, process.pid)
    task = asyncio.create_task(_reap(process, database, job_id))
    _CHILDREN.add(task)
    task.add_done_callback(_CHILDREN.discard)


async def _reap(process: asyncio.subprocess.Process, database: Database, job_id: int) -> None:
    status = await process.wait()
    if status == 0:
        return
    log.warning("certificate job %s: process ended with status %s", job_id, status)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, _mark_failed, database, job_id, status)


def _mark_failed(database: Database, job_id: int, status: int | str) -> None:
    with database.session() as session:
        job = session.get(CertificateJob, job_id)
        if job is not None and job.state in ("queued", "running"):
            job.state, job.updated_at = "failed", utcnow()
            job.error = "\n".join(
                [
                    *job.error.splitlines(),
                    words.format("svc_admin_job_died", status=status),
                ]
            )


# --- a member's certificates ------------------------------------------------------------------


def _certificate(session: Session, serial: str) -> Certificate:
    found = session.scalar(select(Certificate).where(Certificate.serial == serial.strip()))
    if found is None:
        raise ApiError(
            404, words.format("svc_admin_no_certificate", serial=serial), "no-certificate"
        )
    return found


def _text(data: dict, key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(400, words.format("svc_admin_field_not_text", key=key), "bad-request")
    return value


class MemberCertificatesApi(AdminApi):
    """``GET``: the member's certificates and what may be issued by hand; ``POST``: 补发
    ``{"course": 代码}`` or ``{"cohort": 代码}`` with ``"reason"``."""

    def _account_id(self, username: str) -> int:
        found = self.session.scalar(select(Account.id).where(Account.username == username))
        if found is None:
            raise ApiError(
                404,
                words.format("svc_admin_no_username", username=username),
                "unknown-account",
            )
        return found

    @web.authenticated
    def get(self, username: str) -> None:
        self._account_id(username)
        prefix = self.prefix
        self.write_json(member_certificates(self.session, username, prefix))

    @web.authenticated
    def post(self, username: str) -> None:
        account_id = self._account_id(username)
        body = self.json_body()
        issued = issuing.issue_by_hand(
            self.session,
            account_id,
            course_code=_text(body, "course").strip(),
            cohort_code=_text(body, "cohort").strip(),
            reason=_text(body, "reason"),
            actor=self.account.username,
        )
        answer = certificate_json(issued, self.prefix)
        self.commit()
        self.write_json({"certificate": answer}, status=201)


class RevokeApi(AdminApi):
    @web.authenticated
    def post(self, serial: str) -> None:
        certificate = _certificate(self.session, serial)
        issuing.revoke(
            self.session,
            certificate.serial,
            reason=_text(self.json_body(), "reason"),
            actor=self.account.username,
        )
        answer = certificate_json(certificate, self.prefix)
        self.commit()
        self.write_json({"certificate": answer})


class ReissueApi(AdminApi):
    @web.authenticated
    def post(self, serial: str) -> None:
        certificate = _certificate(self.session, serial)
        body = self.json_body()
        new = issuing.reissue(
            self.session,
            certificate.serial,
            reason=_text(body, "reason"),
            actor=self.account.username,
            name=_text(body, "name"),
        )
        prefix = self.prefix
        answer = {
            "certificate": certificate_json(new, prefix),
            "replaced": certificate_json(certificate, prefix, newest=False),
        }
        self.commit()
        self.write_json(answer, status=201)


# --- a class's certificates -------------------------------------------------------------------


class CohortCertificateApi(_CohortMixin, AdminApi):
    """The class's certificate setting: ``{"title", "issuer"}`` sets it, ``{"clear": true}``
    removes it (certificates already issued stay valid)."""

    @web.authenticated
    def post(self, code: str) -> None:
        cohort = self._cohort(code)
        body = self.json_body()
        if body.get("clear") is True:
            wanted: dict = {}
        else:
            title = self._text(body, "title").strip()
            if not title:
                raise ApiError(400, words.svc_admin_certificate_title_missing, "bad-request")
            issuer = self._text(body, "issuer").strip()
            known = [code for code, _ in issuers(self.settings_)]
            if issuer and issuer not in known:
                raise ApiError(
                    400,
                    words.format(
                        "svc_admin_no_issuer",
                        issuer=issuer,
                        known=words.svc_list_separator.join(known),
                    ),
                    "bad-request",
                )
            wanted = {"title": title, "issuer": issuer}
        cohorts.update_cohort(
            self.session, cohort.code, certificate=wanted, actor=self.account.username
        )
        answer = cohort_certificates(self.session, self.settings_, cohort)
        self.commit()
        self.write_json(answer)


class CohortCertificatesApi(_CohortMixin, AdminApi):
    """``GET``: the setting, the counts and the latest job (the page polls it while a job
    runs); ``POST``: start the batch job (or answer the one under way)."""

    @web.authenticated
    def get(self, code: str) -> None:
        self.write_json(cohort_certificates(self.session, self.settings_, self._cohort(code)))

    @web.authenticated
    async def post(self, code: str) -> None:
        cohort = self._cohort(code)
        before = jobs.latest(self.session, cohort.id)
        job = jobs.request(self.session, cohort.code, self.account.username)
        started = before is None or job.id != before.id
        self.commit()
        if started:
            try:
                await start_job(self.database, job.id)
            except OSError as error:
                await asyncio.get_running_loop().run_in_executor(
                    None, _mark_failed, self.database, job.id, str(error)
                )
                raise ApiError(500, words.svc_admin_job_not_started, "job-failed") from None
        self.write_json(cohort_certificates(self.session, self.settings_, cohort), status=202)


class _ExportApi(_CohortMixin, AdminApi):
    """A download of the class's certificates, built in a thread and audited."""

    what = ""

    def build(self, cohort: Cohort, rows: list[Certificate]) -> tuple[str, bytes, str, int]:
        raise NotImplementedError

    @web.authenticated
    async def get(self, code: str) -> None:
        cohort = self._cohort(code)
        cohort_id, name = cohort.id, cohort.name
        loop = asyncio.get_running_loop()
        filename, data, kind, count = await loop.run_in_executor(None, self._make, cohort_id, name)
        audit.record(
            self.session,
            self.account.username,
            "certificate.export",
            words.format("svc_admin_audit_export", cohort=name, what=self.what, count=count),
            target=cohort.code,
            detail={"what": self.what, "count": count},
        )
        self.commit()
        self.send_file(filename, data, kind)

    def _make(self, cohort_id: int, name: str) -> tuple[str, bytes, str, int]:
        with self.database.session() as session:
            cohort = session.get(Cohort, cohort_id)
            return self.build(cohort, self.rows(session, cohort_id))

    def rows(self, session: Session, cohort_id: int) -> list[Certificate]:
        return issuing.of_cohort(session, cohort_id)


class ZipApi(_ExportApi):
    what = words.svc_admin_export_zip

    def build(self, cohort, rows):
        if not rows:
            raise ApiError(409, words.svc_admin_no_valid_certificates, "no-certificates")
        data, problems = files.zip_of(self.settings_, rows)
        name = words.format("svc_admin_zip_name", cohort=cohort.name)
        return name, data, "application/zip", len(rows) - len(problems)


class RegisterApi(_ExportApi):
    what = words.svc_admin_export_register

    def rows(self, session, cohort_id):
        return issuing.of_cohort(session, cohort_id, valid_only=False)

    def build(self, cohort, rows):
        title = words.format("svc_admin_register_title", cohort=cohort.name)
        name = words.format("svc_admin_register_name", cohort=cohort.name)
        return name, files.register(rows, title), XLSX, len(rows)


routes = [
    (f"api/admin/members/{USERNAME}/certificates", MemberCertificatesApi),
    (f"api/admin/certificates/{SERIAL}/revoke", RevokeApi),
    (f"api/admin/certificates/{SERIAL}/reissue", ReissueApi),
    (rf"api/admin/cohorts/{CODE}/certificate", CohortCertificateApi),
    (rf"api/admin/cohorts/{CODE}/certificates", CohortCertificatesApi),
    (rf"api/admin/cohorts/{CODE}/certificates/zip", ZipApi),
    (rf"api/admin/cohorts/{CODE}/certificates/register", RegisterApi),
]
