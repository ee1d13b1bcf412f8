"""会员 and 学时 in the administrator workspace: search, a member's page, account actions
(deactivate, activate, reset the password, unlock) and manual study-hours credits.

Every handler calls the same domain function as the ``yiyuan`` CLI (members/directory.py,
accounts/admin.py, completion/credits.py), which also writes the audit entry.
"""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from sqlalchemy import select
from tornado import web

from ..accounts import admin as accounts
from ..clock import local_zone
from ..completion import credits
from ..i18n import get_catalogue
from ..members import directory
from ..members.normalise import STANDING_LABELS
from ..models import Account, Association, utcnow
from .admin import AdminApi, AdminPage
from .base import ApiError
from .certificate_views import member_certificates

#: a user name in a path (the account rules: lower-case ASCII, 2–32 characters)
USERNAME = r"([a-z][a-z0-9_-]{1,31})"
PAGE_SIZE = 50
words = get_catalogue()
#: 状态 filter values: 正常 / 已停用 / 全部
STATES = (
    ("1", words.svc_admin_state_active),
    ("0", words.svc_admin_state_inactive),
    ("all", words.svc_admin_state_all),
)


class _Search:
    """The search filters from the query string, the same for the page and the API."""

    def search_args(self) -> dict:
        get = self.get_argument  # type: ignore[attr-defined]
        state = get("active", "1").strip() or "1"
        if state not in ("1", "0", "all"):
            raise ApiError(400, words.svc_admin_bad_state, "bad-filter")
        try:
            offset = max(0, int(get("offset", "0") or 0))
            limit = int(get("limit", str(PAGE_SIZE)) or PAGE_SIZE)
        except ValueError:
            raise ApiError(400, words.svc_admin_bad_offset, "bad-filter") from None
        return {
            "text": get("text", "").strip(),
            "association": get("association", "").strip() or None,
            "standing": get("standing", "").strip() or None,
            "active": {"1": True, "0": False, "all": None}[state],
            "offset": offset,
            "limit": max(1, min(limit, directory.MAX_LIMIT)),
        }

    def search(self, args: dict):
        try:
            return directory.search_members(
                self.session,  # type: ignore[attr-defined]
                city=self.settings_.city,  # type: ignore[attr-defined]
                **args,
            )
        except directory.BadSearch as error:
            raise ApiError(400, str(error), "bad-filter") from None


def _profile(handler, username: str) -> directory.MemberProfile:
    try:
        return directory.member_profile(handler.session, username)
    except accounts.UnknownAccount as error:
        raise ApiError(404, str(error), "unknown-account") from None


class MembersApi(_Search, AdminApi):
    @web.authenticated
    def get(self) -> None:
        args = self.search_args()
        rows, total = self.search(args)
        self.write_json(
            {
                "members": [row.as_json() for row in rows],
                "total": total,
                "offset": args["offset"],
                "limit": args["limit"],
            }
        )


class MembersExportApi(_Search, AdminApi):
    """The search's members (all of them, not one page) as Excel or CSV — the layout of
    ``yiyuan members export``; mobile numbers masked unless ``show_mobile=1``."""

    @web.authenticated
    def get(self) -> None:
        if self.get_argument("format", "xlsx") not in ("xlsx", "csv"):
            raise ApiError(400, words.svc_bad_export_format, "bad-format")
        args = {**self.search_args(), "offset": 0, "limit": None}
        args["show_mobile"] = self.get_argument("show_mobile", "") == "1"
        lines, _ = self.search(args)
        table = directory.as_table(lines, directory.hours_this_year(self.session))
        self.send_table(table, words.svc_admin_nav_members)


class MemberApi(AdminApi):
    @web.authenticated
    def get(self, username: str) -> None:
        profile = _profile(self, username)
        prefix = self.prefix
        profile.certificates = member_certificates(self.session, username, prefix)["certificates"]
        self.write_json(profile.as_json())


class _ActionApi(AdminApi):
    """``POST api/admin/members/<username>/<action>``: one account action, audited."""

    def act(self, username: str) -> dict:
        raise NotImplementedError

    @web.authenticated
    def post(self, username: str) -> None:
        try:
            answer = self.act(username)
        except accounts.UnknownAccount as error:
            raise ApiError(404, str(error), "unknown-account") from None
        self.commit()
        self.write_json(answer)


class DeactivateApi(_ActionApi):
    def act(self, username: str) -> dict:
        account = accounts.deactivate(self.session, username, self.account.username)
        return {"username": account.username, "active": account.active}


class ActivateApi(_ActionApi):
    def act(self, username: str) -> dict:
        account = accounts.activate(self.session, username, self.account.username)
        return {"username": account.username, "active": account.active}


class ResetPasswordApi(_ActionApi):
    def act(self, username: str) -> dict:
        password = accounts.reset_password(
            self.session,
            username,
            self.account.username,
            self.settings_.auth.min_password_length,
        )
        # shown once: nothing keeps it but this answer
        self.set_header("Cache-Control", "no-store")
        return {"username": username, "password": password, "must_change_password": True}


class UnlockApi(_ActionApi):
    def act(self, username: str) -> dict:
        account = accounts.unlock(self.session, username, self.account.username)
        return {"username": account.username, "locked": False}


class CreditsApi(AdminApi):
    @web.authenticated
    def get(self) -> None:
        self.write_json(
            {
                "credits": [asdict(c) for c in credits.manual_credits(self.session)],
                "rules": credits.rules_in_force(self.session).as_json(),
            }
        )

    @web.authenticated
    def post(self) -> None:
        body = self.json_body()
        try:
            entry = credits.credit_manual(
                self.session,
                str(body.get("username", "")),
                body.get("hours", ""),
                str(body.get("reason", "")),
                str(body.get("approver", "")),
                self.account.username,
                credited_on=str(body.get("date") or "") or None,
            )
        except accounts.UnknownAccount as error:
            raise ApiError(404, str(error), "unknown-account") from None
        username = self.session.scalar(
            select(Account.username).where(Account.id == entry.account_id)
        )
        answer = {
            "id": entry.id,
            "username": username,
            "hours": entry.hours,
            "date": f"{entry.credited_at.astimezone(local_zone()):%Y-%m-%d}",
            "reason": entry.reason,
            "approved_by": entry.approved_by,
            "entered_by": self.account.username,
        }
        self.commit()
        self.write_json({"credit": answer}, status=201)


# --- pages ---------------------------------------------------------------------------------


class MembersPage(_Search, AdminPage):
    page_title = words.svc_admin_nav_members
    nav_key = "members"

    @web.authenticated
    def get(self) -> None:
        error, rows, total = "", [], 0
        try:
            args = self.search_args()
            rows, total = self.search(args)
        except ApiError as refused:
            error = refused.message
            args = {"text": "", "association": None, "standing": None, "active": True}
            args.update(offset=0, limit=PAGE_SIZE)
        state = {True: "1", False: "0", None: "all"}[args["active"]]
        form = {
            "text": args["text"],
            "association": args["association"] or "",
            "standing": args["standing"] or "",
            "active": state,
        }

        def page_url(offset: int) -> str:
            query = {k: v for k, v in form.items() if v}
            query["offset"] = str(offset)
            return "?" + urlencode(query)

        offset, limit = args["offset"], args["limit"]
        query = urlencode({k: v for k, v in form.items() if v})
        self.render_admin(
            "admin_members.html",
            export=f"{self.prefix}api/admin/export/members?{query}",
            rows=rows,
            total=total,
            form=form,
            error=error,
            associations=list(
                self.session.scalars(
                    select(Association)
                    .where(Association.active.is_(True))
                    .order_by(Association.sort_order)
                )
            ),
            standings=STANDING_LABELS,
            states=STATES,
            first=offset + 1 if rows else 0,
            last=offset + len(rows),
            previous=page_url(max(0, offset - limit)) if offset > 0 else "",
            next=page_url(offset + limit) if offset + limit < total else "",
        )


class MemberPage(AdminPage):
    page_title = words.svc_admin_nav_members
    nav_key = "members"

    @web.authenticated
    def get(self, username: str) -> None:
        profile = _profile(self, username)
        self.render_admin(
            "admin_member.html",
            profile=profile,
            certificates=member_certificates(self.session, username, self.prefix),
            zone=local_zone(),
            myself=profile.username == self.account.username,
        )


class HoursPage(AdminPage):
    page_title = words.svc_admin_nav_hours
    nav_key = "hours"

    @web.authenticated
    def get(self) -> None:
        recent = credits.manual_credits(self.session)
        try:
            credited = int(self.get_argument("credited", "0") or 0)
        except ValueError:
            credited = 0
        self.render_admin(
            "admin_hours.html",
            in_force=credits.rules_in_force(self.session),
            recent=recent,
            credited=next((c for c in recent if c.id == credited), None),
            approver=self.account.display_name or self.account.username,
            today=f"{utcnow().astimezone(local_zone()):%Y-%m-%d}",
        )


routes = [
    ("api/admin/members", MembersApi),
    ("api/admin/export/members", MembersExportApi),
    (f"api/admin/members/{USERNAME}", MemberApi),
    (f"api/admin/members/{USERNAME}/deactivate", DeactivateApi),
    (f"api/admin/members/{USERNAME}/activate", ActivateApi),
    (f"api/admin/members/{USERNAME}/reset-password", ResetPasswordApi),
    (f"api/admin/members/{USERNAME}/unlock", UnlockApi),
    ("api/admin/hours/credits", CreditsApi),
    ("admin/members", MembersPage),
    (f"admin/members/{USERNAME}", MemberPage),
    ("admin/hours", HoursPage),
]
