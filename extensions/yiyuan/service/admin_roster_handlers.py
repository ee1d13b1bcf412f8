"""导入名册 in the browser: upload → preview → confirm → error report and initial passwords.

The same code path as ``yiyuan members import`` (``members.rosterimport``), with the upload kept
on disk between the steps (``members.uploads``)::

    POST api/admin/roster/uploads?name=名册.xlsx&deactivate_missing=0   raw file body → 201 preview
    GET  api/admin/roster/uploads/<token>                                preview / result JSON
    POST api/admin/roster/uploads/<token>/confirm                        the real import, once
    GET  api/admin/roster/uploads/<token>/errors                         the error report (.xlsx)
    POST api/admin/roster/uploads/<token>/passwords                      the passwords, once

The passwords are taken with POST, not GET: the download deletes them, and a GET (a link
prefetched, a page reopened) must never change anything.

Hub groups need nothing here: the import notes the change (``request_hub_sync``) in its own
transaction, and the hub's roster-sync service applies it within seconds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from tornado import web

from .. import audit
from ..clock import local_zone
from ..i18n import get_catalogue
from ..members import uploads
from ..members.roster import RosterUnreadable
from .admin import AdminApi, AdminOnly, AdminPage
from .base import XLSX, ApiError
from .exchange_handlers import MB, UploadHandler

TOKEN_ROUTE = r"([A-Za-z0-9_-]{1,64})"

words = get_catalogue()


def _find(handler, token: str) -> uploads.Upload:
    try:
        return uploads.find(handler.settings_.data_dir, token)
    except uploads.UploadNotFound as error:
        raise ApiError(404, str(error), "not-found") from None


class RosterPage(AdminPage):
    nav_key = "roster"
    page_title = words.svc_admin_nav_roster

    @web.authenticated
    def get(self) -> None:
        recent = [u.as_json() for u in uploads.recent(self.settings_.data_dir)]
        for item in recent:
            item["uploaded_at"] = _local(item["uploaded_at"])
        self.render_admin(
            "admin_roster.html", limit_mb=self.settings_.service.max_roster_mb, recent=recent
        )


class RosterUploadPage(AdminPage):
    nav_key = "roster"
    page_title = words.svc_admin_nav_roster

    @web.authenticated
    def get(self, token: str) -> None:
        data = _find(self, token).as_json()
        for key in ("uploaded_at", "confirmed_at"):
            data[key] = _local(data[key])
        self.render_admin("admin_roster_upload.html", upload=data)


def _local(moment: str) -> str:
    """ "2026-11-29T05:55:03+00:00" → "2026-11-29 13:55" (the city's time) for pages."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


@web.stream_request_body
class UploadsApi(AdminOnly, UploadHandler):
    """A roster as the raw request body; answers 201 with the dry run's preview."""

    drain_oversized = True

    def upload_limit(self) -> int:
        return self.settings_.service.max_roster_mb * MB

    def too_large(self) -> ApiError:
        return ApiError(
            413,
            words.format("svc_admin_roster_too_large", max_mb=self.settings_.service.max_roster_mb),
            "too-large",
        )

    def check_upload(self) -> None:
        try:
            uploads.check_name(self.get_query_argument("name", ""))
        except uploads.UploadRefused as error:
            raise ApiError(400, str(error), "bad-name") from None

    @web.authenticated
    async def post(self) -> None:
        data = self.body()
        deactivate = self.get_query_argument("deactivate_missing", "0") in ("1", "true", "on")
        actor = self.account.username
        try:
            upload = uploads.create(
                self.settings_.data_dir,
                actor,
                self.get_query_argument("name", ""),
                data,
                deactivate,
            )
        except uploads.UploadRefused as error:
            raise ApiError(400, str(error), "bad-file") from None
        try:
            preview = await asyncio.to_thread(
                uploads.preview, self.database, self.settings_.city, upload, actor
            )
        except RosterUnreadable as error:
            uploads.discard(upload)
            raise ApiError(400, str(error), "unreadable") from None
        self.write_json({"token": upload.token, "preview": preview}, 201)


class UploadApi(AdminApi):
    @web.authenticated
    def get(self, token: str) -> None:
        self.write_json(_find(self, token).as_json())


class ConfirmApi(AdminApi):
    @web.authenticated
    async def post(self, token: str) -> None:
        upload = _find(self, token)
        if upload.meta.state != uploads.PREVIEWED:
            raise ApiError(409, words.svc_admin_roster_confirmed, "already-confirmed")
        try:
            result = await asyncio.to_thread(
                uploads.confirm,
                self.database,
                self.settings_.city,
                upload,
                self.account.username,
            )
        except uploads.AlreadyConfirmed as error:
            raise ApiError(409, str(error), "already-confirmed") from None
        except RosterUnreadable as error:
            raise ApiError(400, str(error), "unreadable") from None
        self.write_json({"token": upload.token, "result": result})


class ErrorReportApi(AdminApi):
    @web.authenticated
    def get(self, token: str) -> None:
        upload = _find(self, token)
        if not upload.error_report.exists():
            raise ApiError(404, words.svc_admin_roster_no_errors, "no-errors")
        name = words.format("svc_admin_roster_errors_name", stem=Path(upload.meta.name).stem)
        self.send_file(name, upload.error_report.read_bytes(), XLSX)


class PasswordsApi(AdminApi):
    @web.authenticated
    def post(self, token: str) -> None:
        upload = _find(self, token)
        if upload.meta.state not in (uploads.IMPORTED, uploads.FAILED):
            raise ApiError(409, words.svc_admin_roster_not_imported, "not-imported")
        try:
            data = upload.take_passwords()
        except uploads.PasswordsGone as error:
            raise ApiError(410, str(error), "passwords-gone") from None
        # whoever holds the file can log in as each new member: who took it is on record
        audit.record(
            self.session,
            self.account.username,
            "members.passwords",
            words.format("svc_admin_audit_passwords", name=upload.meta.name),
            target=upload.meta.name,
            detail={"upload": upload.token},
        )
        self.commit()
        stem = Path(upload.meta.name).stem
        self.send_file(words.format("svc_admin_roster_passwords_name", stem=stem), data, XLSX)


routes = [
    ("admin/roster", RosterPage),
    (f"admin/roster/{TOKEN_ROUTE}", RosterUploadPage),
    ("api/admin/roster/uploads", UploadsApi),
    (f"api/admin/roster/uploads/{TOKEN_ROUTE}", UploadApi),
    (f"api/admin/roster/uploads/{TOKEN_ROUTE}/confirm", ConfirmApi),
    (f"api/admin/roster/uploads/{TOKEN_ROUTE}/errors", ErrorReportApi),
    (f"api/admin/roster/uploads/{TOKEN_ROUTE}/passwords", PasswordsApi),
]
