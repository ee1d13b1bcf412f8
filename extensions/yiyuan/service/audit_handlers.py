"""The audit log, for administrators: who published, graded and corrected what, and when.

``GET api/audit`` (JSON), ``GET api/audit/export?format=xlsx|csv`` (a file) and the page
``audit`` share the filters ``action``, ``actor``, ``course``, ``from``, ``to``.
"""

from __future__ import annotations

from tornado import web

from .. import audit
from ..i18n import get_catalogue
from .admin import AdminApi, AdminPage
from .base import ApiError

#: at most this many entries in one answer, page or file (newest first)
LIMIT = 5000

words = get_catalogue()


class _AuditMixin:
    def _entries(self) -> tuple[audit.AuditFilter, list]:
        try:
            where = audit.parse_filter(
                self.session,
                action=self.get_argument("action", ""),
                actor=self.get_argument("actor", ""),
                course=self.get_argument("course", ""),
                date_from=self.get_argument("from", ""),
                date_to=self.get_argument("to", ""),
            )
        except audit.BadAuditFilter as error:
            raise ApiError(400, str(error), "bad-filter") from None
        return where, audit.entries(self.session, where, limit=LIMIT)


class AuditHandler(_AuditMixin, AdminApi):
    @web.authenticated
    def get(self) -> None:
        _, rows = self._entries()
        table = audit.as_table(self.session, rows)
        for entry, row in zip(rows, table.rows, strict=True):
            row["action_key"] = entry.action
            row["detail"] = entry.detail
            row["target"] = entry.target
        self.write_json({"entries": table.rows, "limit": LIMIT})


class AuditExportHandler(_AuditMixin, AdminApi):
    @web.authenticated
    def get(self) -> None:
        if self.get_argument("format", "xlsx") not in ("xlsx", "csv"):
            raise ApiError(400, words.svc_bad_export_format, "bad-format")
        _, rows = self._entries()
        self.send_table(audit.as_table(self.session, rows), words.svc_admin_nav_audit)


class AuditPageHandler(_AuditMixin, AdminPage):
    page_title = words.svc_admin_nav_audit
    nav_key = "audit"

    @web.authenticated
    def get(self) -> None:
        error = ""
        try:
            _, rows = self._entries()
        except ApiError as refused:
            if refused.status_code != 400:
                raise
            error, rows = refused.message, []
        table = audit.as_table(self.session, rows)
        query = self.request.query
        self.render_admin(
            "audit.html",
            table=table,
            error=error,
            actions=audit.ACTIONS,
            args={k: self.get_argument(k, "") for k in ("action", "actor", "course", "from", "to")},
            export=f"{self.prefix}api/audit/export?{query}",
            limit=LIMIT,
        )


routes = [
    ("api/audit", AuditHandler),
    ("api/audit/export", AuditExportHandler),
    ("audit", AuditPageHandler),
]
