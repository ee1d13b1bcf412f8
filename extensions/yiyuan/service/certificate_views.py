"""How certificates read on the administrator's pages and in their JSON API.

Shared by the member page, the class page and the certificate API (so none of those handler
modules imports another).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..certificates import issuing, jobs
from ..certificates.document import issuer_of
from ..certificates.issuing import rule_of
from ..clock import local_zone
from ..i18n import get_catalogue
from ..models import Account, Certificate, CertificateJob, Cohort
from ..settings import Settings

words = get_catalogue()

KIND_LABELS = {
    "course": words.svc_certificate_kind_course,
    "cohort": words.svc_certificate_kind_cohort,
    "hours": words.svc_certificate_kind_hours,
}


def certificate_json(certificate: Certificate, prefix: str, newest: bool = True) -> dict:
    c = certificate
    return {
        "serial": c.serial,
        "kind": c.kind,
        "kind_label": KIND_LABELS.get(c.kind, c.kind),
        "title": c.title,
        "subject": c.subject,
        "name": c.name,
        "hours": c.hours,
        "edition": c.edition,
        "achieved_on": c.achieved_on.isoformat(),
        "issued_at": _when(c.issued_at),
        "issued_by": c.issued_by,
        "reason": c.reason,
        "valid": c.revoked_at is None,
        "state": (
            words.svc_certificate_valid
            if c.revoked_at is None
            else words.svc_certificate_revoked_state
        ),
        "revoked_at": _when(c.revoked_at),
        "revoked_by": c.revoked_by,
        "revoked_reason": c.revoked_reason,
        "replaces": (c.detail or {}).get("replaces", ""),
        #: the newest edition of its achievement: the one revoke and reissue act on
        "newest": newest,
        "pdf": f"{prefix}certificates/{c.serial}.pdf",
    }


def _when(moment) -> str:
    return f"{moment.astimezone(local_zone()):%Y-%m-%d %H:%M}" if moment else ""


def member_certificates(session: Session, username: str, prefix: str) -> dict:
    """A person's certificates (newest first) and what may be issued by hand (补发)."""
    account_id = session.scalar(select(Account.id).where(Account.username == username))
    if account_id is None:
        return {"certificates": [], "issuable": []}
    rows = issuing.of_account(session, account_id)
    newest: dict[str, int] = defaultdict(int)
    for row in rows:
        newest[row.achievement] = max(newest[row.achievement], row.edition)
    return {
        "certificates": [
            certificate_json(row, prefix, row.edition == newest[row.achievement]) for row in rows
        ],
        "issuable": issuing.issuable(session, account_id, set(newest)),
    }


def cohort_certificates(session: Session, settings: Settings, cohort: Cohort) -> dict:
    """A class's certificate setting, how many were issued, and its latest batch job."""
    rule = rule_of(cohort.certificate)
    counts = dict(
        session.execute(
            select(Certificate.revoked_at.is_(None), func.count(Certificate.id))
            .where(Certificate.cohort_id == cohort.id)
            .group_by(Certificate.revoked_at.is_(None))
        ).all()
    )
    return {
        "certificate": (
            {
                "title": rule.title,
                "issuer": rule.issuer,
                "issuer_name": issuer_of(settings, rule.issuer).name,
            }
            if rule
            else None
        ),
        "valid": int(counts.get(True, 0)),
        "revoked": int(counts.get(False, 0)),
        "job": job_json(jobs.latest(session, cohort.id)),
    }


def job_json(job: CertificateJob | None) -> dict | None:
    if job is None:
        return None
    stale = jobs.stale(job)
    return {
        "id": job.id,
        "state": "failed" if stale else job.state,
        "state_label": words.svc_job_interrupted if stale else JOB_STATES.get(job.state, job.state),
        "total": job.total,
        "done": job.done,
        "issued": job.issued,
        "problems": [line for line in job.error.splitlines() if line],
        "requested_by": job.requested_by,
        "created_at": _when(job.created_at),
        "finished_at": _when(job.finished_at),
        "running": job.state in ("queued", "running") and not stale,
    }


JOB_STATES = {
    "queued": words.svc_job_queued,
    "running": words.svc_job_running,
    "done": words.svc_job_done,
    "failed": words.svc_job_failed,
}


def issuers(settings: Settings) -> list[tuple[str, str]]:
    """(code, printed name) of each signing body, the default first."""
    return [(i.code, issuer_of(settings, i.code).name) for i in settings.certificates.issuers]
