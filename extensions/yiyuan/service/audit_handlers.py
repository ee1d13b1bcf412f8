"""The audit log, for administrators: who published, graded and corrected what, and when.

``GET api/audit`` (JSON), ``GET api/audit/export?format=xlsx|csv`` (a file) and the page
``audit`` share the filters ``action``, ``actor``, ``course``, ``from``, ``to``.
"""

from __future__ import annotations

from urllib.parse import quote

from tornado import web

from .. import audit
from ..reports.export import csv_text, to_xlsx_bytes
from .admin import AdminApi, AdminPage
from .base import ApiError

#: at most this many entries in one answer, page or file (newest first)
LIMIT = 5000


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
        fmt = self.get_argument("format", "xlsx")
        if fmt not in ("xlsx", "csv"):
            raise ApiError(400, "导出格式只能是 xlsx 或 csv。", "bad-format")
        _, rows = self._entries()
        table = audit.as_table(self.session, rows)
        if fmt == "xlsx":
            data = to_xlsx_bytes([table], title="审计日志")
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            data = csv_text(table).encode("utf-8-sig")
            kind = "text/csv; charset=UTF-8"
        self.set_header("Content-Type", kind)
        self.set_header(
            "Content-Disposition", f"attachment; filename*=UTF-8''{quote('审计日志.' + fmt)}"
        )
        self.finish(data)


class AuditPageHandler(_AuditMixin, AdminPage):
    page_title = "审计日志"
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
            export=f"{self.application.settings['yiyuan_prefix']}api/audit/export?{query}",
            limit=LIMIT,
        )


routes = [
    ("api/audit", AuditHandler),
    ("api/audit/export", AuditExportHandler),
    ("audit", AuditPageHandler),
]
