"""Certificates on the web: the public verify page (证书查验, what the QR code on the paper
opens) and the learner's 我的证书 with the PDFs of certificates and 学时证明.

The verify page asks nobody to log in and shows only what a checker needs: the document, the
name masked, the association, what was achieved, the hours, the day, who issued it, and
有效 or 已撤销 (with the day, never the reason: it may be personal). Look-ups are counted per
client address in the database (``ratelimit``), so the service's processes share one limit.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from tornado import web
from tornado.escape import xhtml_escape

from ..certificates import files, issuing, serials
from ..certificates.document import chinese_day, issuer_of
from ..certificates.issuing import CertificateError
from ..clock import local_zone
from ..i18n import get_catalogue
from ..members.directory import ledger
from ..models import ROLE_LABELS, Certificate, Role
from . import ratelimit
from .base import ApiError, PageHandler

words = get_catalogue()

#: what the verify page calls the subject of each kind of document
SUBJECT_LABELS = {
    "course": words.svc_subject_course,
    "cohort": words.svc_subject_cohort,
    "hours": words.svc_subject_other,
}
DAY_LABELS = {
    "course": words.svc_day_completed,
    "cohort": words.svc_day_completed,
    "hours": words.svc_day_issued,
}
#: how much of a typed serial a refusal repeats (the rest is cut)
SHOWN_TYPED = 40


def not_found(typed: str) -> str:
    shown = (typed or "").strip()[:SHOWN_TYPED]
    if not shown:
        return words.svc_certificate_number_missing
    return words.format("svc_certificate_not_found", serial=shown)


class VerifyHandler(PageHandler):
    """``verify`` (a form for a number typed from paper, ``?serial=``) and ``verify/<serial>``
    (what the QR code opens). No login: the hub is not asked who calls, no cookie is set."""

    page_title = words.svc_title_verify

    async def prepare(self) -> None:
        pass  # public: nobody is asked who they are

    def get_template_namespace(self) -> dict[str, Any]:
        # not PageHandler's: that one reads the viewer's account and hands out an XSRF cookie
        namespace = web.RequestHandler.get_template_namespace(self)
        namespace["service_prefix"] = self.prefix
        namespace["site_name"] = self.settings_.site_name
        return namespace

    def get(self, typed: str | None = None) -> None:
        self.set_header("Cache-Control", "no-store")  # a revocation shows at once
        self.set_header("X-Robots-Tag", "noindex")
        if typed is None:
            typed = self.get_argument("serial", "")
            if not typed.strip():
                self.render("verify.html", typed="", message="", view=None)
                return
        limit = self.settings_.certificates.verify_per_minute
        verdict = ratelimit.hit(self.database, f"verify:{self.request.remote_ip}", limit)
        if not verdict.allowed:
            self.set_status(429)
            self.set_header("Retry-After", str(verdict.retry_after))
            self.render("verify.html", typed=typed, message=words.svc_verify_too_often, view=None)
            return
        serial = serials.normalise(typed)
        # a malformed number is looked up too: every refusal takes the same path
        certificate = self.session.scalar(
            select(Certificate).where(Certificate.serial == (serial or ""))
        )
        if certificate is None:
            self.set_status(404)
            self.render("verify.html", typed=typed, message=not_found(typed), view=None)
            return
        self.render(
            "verify.html", typed=certificate.serial, message="", view=self.view(certificate)
        )

    def view(self, certificate: Certificate) -> dict[str, Any]:
        revoked = certificate.revoked_at
        return {
            "valid": revoked is None,
            "revoked_on": chinese_day(revoked.astimezone(local_zone())) if revoked else "",
            "serial": certificate.serial,
            "title": certificate.title,
            "name": serials.mask_name(certificate.name),
            "association": certificate.association,
            "subject_label": SUBJECT_LABELS.get(certificate.kind, words.svc_subject_other),
            "subject": certificate.subject,
            "hours": f"{certificate.hours:.1f}".removesuffix(".0"),
            "day_label": DAY_LABELS.get(certificate.kind, words.svc_day_other),
            "day": chinese_day(certificate.achieved_on),
            "issuer": issuer_of(self.settings_, certificate.issuer).name,
        }

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self._session is not None:
            self._session.rollback()
        prefix = xhtml_escape(self.prefix)
        title = xhtml_escape(words.svc_title_verify)
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            f"<!DOCTYPE html><html lang='{words.html_lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<meta name='robots' content='noindex'><title>{title}</title></head>"
            f"<body style='font-size:1.25rem'><main><h1>{title}</h1>"
            f"<p role='alert'>{xhtml_escape(words.svc_verify_unavailable)}</p>"
            f"<p><a href='{prefix}verify'>{xhtml_escape(words.svc_verify_again)}</a></p>"
            "</main></body></html>"
        )


class MyCertificatesHandler(PageHandler):
    """「我的证书」: the learner's certificates (PDF of each valid one) and the 学时证明 of a
    year (this year and each year with study hours)."""

    page_title = words.svc_title_my_certificates

    @web.authenticated
    def get(self) -> None:
        account = self.account
        documents = issuing.of_account(self.session, account.id)
        this_year = datetime.now(UTC).astimezone(local_zone()).year
        with_hours = {int(line.date[:4]) for line in ledger(self.session, account.id, limit=5000)}
        years = sorted({y for y in with_hours if y <= this_year} | {this_year}, reverse=True)
        self.set_header("Cache-Control", "no-store")
        self.render(
            "my_certificates.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.prefix,
            awards=[c for c in documents if c.kind != "hours"],
            statements=[c for c in documents if c.kind == "hours"],
            years=[(year, year in with_hours) for year in years],
            day=chinese_day,
            zone=local_zone(),
        )


class PdfHandler(PageHandler):
    """Sends a certificate's PDF, rendered off the event loop (WeasyPrint takes a while)."""

    page_title = words.svc_title_my_certificates

    async def send_pdf(self, certificate: Certificate) -> None:
        self.session.expunge(certificate)  # read in a thread: the loaded row alone
        try:
            data = await asyncio.to_thread(files.pdf_of, self.settings_, certificate)
        except CertificateError as error:
            raise ApiError(409, str(error), "unprintable") from None
        self.send_file(files.file_name(certificate), data, "application/pdf")


class CertificatePdfHandler(PdfHandler):
    """``certificates/<serial>.pdf``: its owner's (while valid), or any for an administrator."""

    @web.authenticated
    async def get(self, typed: str) -> None:
        account = self.account
        serial = serials.normalise(typed)
        certificate = self.session.scalar(
            select(Certificate).where(Certificate.serial == (serial or ""))
        )
        if certificate is None:
            raise ApiError(404, not_found(typed), "no-certificate")
        if certificate.account_id != account.id and not account.has_role(Role.administrator):
            raise ApiError(403, words.svc_certificate_not_yours, "not-yours")
        if not certificate.valid:
            raise ApiError(410, words.svc_certificate_revoked, "revoked")
        await self.send_pdf(certificate)


class StatementPdfHandler(PdfHandler):
    """``certificates/hours/<year>.pdf``: the learner's 学时证明 of that year, made now (the
    same statement as last time while the ledger is unchanged)."""

    @web.authenticated
    async def get(self, year: str) -> None:
        account = self.account
        for attempt in range(2):
            try:
                statement = issuing.statement(self.session, account.id, int(year))
                self.commit()
                break
            except CertificateError as error:
                raise ApiError(404, str(error), "no-statement") from None
            except IntegrityError:  # the same statement made by a request at the same moment
                self.session.rollback()
                if attempt:
                    raise
        await self.send_pdf(statement)


routes = [
    (r"verify/?", VerifyHandler),
    (r"verify/([^/]{1,200})", VerifyHandler),
    ("certificates", MyCertificatesHandler),
    (r"certificates/hours/(\d{4})\.pdf", StatementPdfHandler),
    (r"certificates/([^/]{1,80})\.pdf", CertificatePdfHandler),
]
