"""One base handler: hub authentication, the caller's platform account, a database session
per request, and errors as JSON with a Chinese message.
"""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jupyterhub.services.auth import HubOAuthenticated
from sqlalchemy import select
from sqlalchemy.orm import Session
from tornado import web
from tornado.escape import xhtml_escape

from ..db import Database
from ..errors import YiyuanError
from ..i18n import get_catalogue
from ..messages import inbox
from ..models import Account, Role
from ..platform import Platform
from ..settings import Settings
from ..storage import Storage
from .static_files import math_assets, static_url

log = logging.getLogger("yiyuan.service")
words = get_catalogue()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

MESSAGES = {
    status: words[f"svc_http_{status}"] for status in (400, 401, 403, 404, 405, 409, 413, 500)
}


class ApiError(web.HTTPError):
    """An error whose Chinese ``message`` is shown to the caller as is."""

    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(status, reason=None)
        self.message = message
        self.code = code


class BaseHandler(HubOAuthenticated, web.RequestHandler):
    """Every handler of the service. ``self.account`` is the caller's platform account;
    ``self.platform`` the process's :class:`Platform` (settings, database, storage, clock), with
    typed shortcuts to its parts, as JupyterHub's own ``BaseHandler`` reads ``self.settings``."""

    def initialize(self) -> None:
        self.hub_auth = self.application.settings["hub_auth"]
        self._session: Session | None = None
        self._account: Account | None = None

    # -- the platform (yiyuan.platform), from the application's settings ------------------
    @property
    def platform(self) -> Platform:
        return self.application.settings["yiyuan_platform"]

    @property
    def prefix(self) -> str:
        """The service's URL prefix, ``/services/yiyuan/`` (ends with a slash)."""
        return self.application.settings["yiyuan_prefix"]

    @property
    def settings_(self) -> Settings:
        """The platform settings (``self.settings`` is tornado's)."""
        return self.platform.settings

    @property
    def database(self) -> Database:
        return self.platform.database

    @property
    def storage(self) -> Storage:
        return self.platform.storage

    # -- who is calling, without blocking ------------------------------------------------
    async def prepare(self) -> None:
        await self.resolve_hub_user()

    async def resolve_hub_user(self) -> None:
        """Ask the hub who is calling without holding up the service: jupyterhub's
        ``get_current_user`` asks synchronously, and every other request waited meanwhile
        (seconds when the hub is busy with a crowd of logins). The answer is cached by the
        hub client, so the synchronous call that follows finds it."""
        if getattr(self, "_hub_user_resolved", False):
            return
        self._hub_user_resolved = True
        try:
            await self.hub_auth.get_user(self, sync=False)
        except Exception:  # the synchronous path meets it again and answers as before
            log.debug("asking the hub who calls failed", exc_info=True)

    # -- database ------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.database.new_session()
        return self._session

    def commit(self) -> None:
        self.session.commit()

    def on_finish(self) -> None:
        if self._session is not None:
            self._session.rollback()  # anything not committed explicitly is dropped
            self._session.close()
            self._session = None

    # -- who is calling ------------------------------------------------------------------
    @property
    def account(self) -> Account:
        """The caller's active platform account (403 when the hub user has none)."""
        if self._account is None:
            user = self.current_user
            if not user:
                raise ApiError(401, MESSAGES[401])
            if user.get("kind", "user") != "user":
                raise ApiError(403, words.svc_users_only)
            account = self.session.scalars(
                select(Account).where(Account.username == user["name"])
            ).one_or_none()
            if account is None or not account.active:
                raise ApiError(403, words.svc_no_account)
            self._account = account
        return self._account

    def has_role(self, role: Role) -> bool:
        return any(r.role == role for r in self.account.roles)

    def require_role(self, *roles: Role) -> None:
        if not any(self.has_role(role) for role in roles):
            raise ApiError(403, MESSAGES[403])

    # -- JSON in and out -----------------------------------------------------------------
    def json_body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, words.svc_bad_json) from None
        if not isinstance(data, dict):
            raise ApiError(400, words.svc_json_not_object)
        return data

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    def send_file(self, name: str, data: bytes, kind: str) -> None:
        """A download named ``name`` (Chinese names survive, RFC 5987); never cached: exports
        hold personal data."""
        self.set_header("Content-Type", kind)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(name)}")
        self.set_header("Cache-Control", "no-store")
        self.finish(data)

    def send_table(self, table, name: str) -> None:
        """A report table as the ``format`` argument asks: Excel (default) or CSV with a BOM,
        cells that would start a formula defused (``reports.export``)."""
        from ..reports.export import csv_text, to_xlsx_bytes

        fmt = self.get_argument("format", "xlsx")
        if fmt not in ("xlsx", "csv"):
            raise ApiError(400, words.svc_bad_export_format, "bad-format")
        if fmt == "xlsx":
            self.send_file(f"{name}.xlsx", to_xlsx_bytes([table], title=name), XLSX)
        else:
            data = csv_text(table).encode("utf-8-sig")
            self.send_file(f"{name}.csv", data, "text/csv; charset=UTF-8")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self._session is not None:
            self._session.rollback()
        error = kwargs.get("exc_info", (None, None, None))[1]
        code = ""
        if isinstance(error, ApiError):
            message, code = error.message, error.code
        elif isinstance(error, YiyuanError):
            status_code, message = 400, str(error)
            self.set_status(400)
        else:
            message = MESSAGES.get(status_code, MESSAGES[500])
            if status_code >= 500 and error is not None:
                log.error(
                    "%s %s failed:\n%s",
                    self.request.method,
                    self.request.uri,
                    "".join(traceback.format_exception(*kwargs["exc_info"])),
                )
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(
            json.dumps({"error": message, "code": code, "status": status_code}, ensure_ascii=False)
        )

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, ApiError | YiyuanError):
            log.info("%s %s refused: %s", self.request.method, self.request.uri, value)
            return
        super().log_exception(typ, value, tb)


class PageHandler(BaseHandler):
    """Pages people open in a browser: templates from ``templates/``, and errors as a short
    Chinese page (not JSON) with the way back to「我的学习」."""

    #: the page's name in the error page's title
    page_title = words.default_site_name

    def get_template_path(self) -> str:
        return str(Path(__file__).parent / "templates")

    def get_template_namespace(self) -> dict[str, Any]:
        """What every page's header shows beside the page: the unread messages (消息)."""
        namespace = super().get_template_namespace()
        namespace["service_prefix"] = self.prefix
        namespace["unread_messages"] = (
            inbox.unread_count(self.session, self._account.id) if self._account else 0
        )
        # the 大字 switch in every header (templates/base.html) saves with the _xsrf cookie
        self.xsrf_token  # noqa: B018
        namespace["large_text_script"] = static_url(
            namespace["service_prefix"], "page", "large-text.js"
        )
        # pages that show what trainers and learners wrote draw its LaTeX (``data-math``)
        namespace["math_assets"] = math_assets(namespace["service_prefix"])
        return namespace

    def render_string(self, template_name: str, **kwargs: Any) -> bytes:
        """Every page reads its words from the default catalogue as ``t``: ``{{ t.portal_home }}``
        (i18n/portal.py). Added here, not in the namespace above, which some pages build on
        their own (``VerifyHandler``)."""
        kwargs.setdefault("t", words)
        return super().render_string(template_name, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self._session is not None:
            self._session.rollback()
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = error.message if isinstance(error, ApiError) else words.svc_page_failed
        title = xhtml_escape(self.page_title)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            f"<!DOCTYPE html><html lang='{words.html_lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title} · {xhtml_escape(words.default_site_name)}</title></head><body>"
            f"<main><h1>{title}</h1><p role='alert'>{xhtml_escape(message)}</p>"
            f"<p><a href='{xhtml_escape(self.prefix)}'>"
            f"{xhtml_escape(words.svc_back_to_portal)}</a></p></main></body></html>"
        )


class ApiHandler(BaseHandler):
    """REST endpoints: never redirect to the login page, answer 401/403 as JSON instead."""

    def get_login_url(self) -> str:
        raise ApiError(401, MESSAGES[401])
