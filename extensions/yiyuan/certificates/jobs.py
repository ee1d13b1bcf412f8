"""Issuing a whole class's certificates in the background, with progress.

An administrator (page or CLI) asks for a class; :func:`request` writes a job row, and
:func:`run` goes through the class's members in batches: each batch issues what is earned
(``issuing.issue_for_cohort_member``, never twice) and renders the PDFs, then commits with the
job's progress, so the page and the CLI show how far it got and a stopped job resumes where it
was. Members who have not completed the class are counted, not failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from .. import audit
from ..db.database import Database
from ..models import CertificateJob, Cohort, CohortMember, utcnow
from ..settings import Settings
from . import files, issuing
from .issuing import CertificateError, rule_of

BATCH = 50
#: a running job that has not written progress for this long has died (its process stopped)
STALE_AFTER = timedelta(minutes=3)


def request(session, cohort_code: str, actor: str) -> CertificateJob:
    """A job for this class: the one already under way, or a new one (audited)."""
    # the class row locked (PostgreSQL): two administrators asking at once on two service
    # processes or replicas get one job, the second waits and finds the first's
    cohort = session.scalar(
        select(Cohort)
        .where(Cohort.code == (cohort_code or "").strip())
        .with_for_update(key_share=True, of=Cohort)
    )
    if cohort is None:
        raise CertificateError(f"没有期次 {cohort_code}：请核对期次代码。")
    if rule_of(cohort.certificate) is None:
        raise CertificateError(
            f"期次“{cohort.name}”没有设置结业证书：请先用 yiyuan cohorts update "
            f"{cohort.code} --certificate 结业证书 设置。"
        )
    current = latest(session, cohort.id)
    if current is not None and current.state in ("queued", "running") and not stale(current):
        return current
    job = CertificateJob(cohort_id=cohort.id, requested_by=actor, updated_at=utcnow())
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor,
        "certificate.batch",
        f"为期次“{cohort.name}”批量颁发结业证书（任务 {job.id}）",
        target=cohort.code,
        detail={"job": job.id},
    )
    return job


def latest(session, cohort_id: int) -> CertificateJob | None:
    return session.scalar(
        select(CertificateJob)
        .where(CertificateJob.cohort_id == cohort_id)
        .order_by(CertificateJob.id.desc())
        .limit(1)
    )


def stale(job: CertificateJob) -> bool:
    return job.state == "running" and utcnow() - job.updated_at > STALE_AFTER


def run(
    database: Database,
    settings: Settings,
    job_id: int,
    progress: Callable[[int, int, int], None] | None = None,
) -> dict:
    """Do the job (or what is left of it); ``progress(done, total, issued)`` after each batch.

    A certificate whose PDF cannot be made (a name the font lacks) stays issued and is listed
    in the job's ``error``; the job goes on. Returns the job's final figures.
    """
    with database.session() as session:
        job = session.get(CertificateJob, job_id)
        if job is None:
            raise CertificateError(f"没有编号为 {job_id} 的证书任务。")
        members = list(
            session.scalars(
                select(CohortMember.account_id)
                .where(CohortMember.cohort_id == job.cohort_id)
                .order_by(CohortMember.account_id)
            )
        )
        job.state, job.total = "running", len(members)
        job.started_at = job.started_at or utcnow()
        job.updated_at = utcnow()
        start, problems = job.done, [line for line in job.error.splitlines() if line]
    try:
        for first in range(start, len(members), BATCH):
            with database.session() as session:
                job = session.get(CertificateJob, job_id)
                cohort = session.get(Cohort, job.cohort_id)
                for account_id in members[first : first + BATCH]:
                    issued = issuing.issue_for_cohort_member(session, cohort, account_id)
                    if issued is None:
                        continue
                    job.issued += 1
                    try:
                        files.pdf_of(settings, issued)
                    except CertificateError as error:
                        problems.append(f"{issued.serial}：{error}")
                job.done = min(first + BATCH, len(members))
                job.error = "\n".join(problems)
                job.updated_at = utcnow()
                figures = (job.done, job.total, job.issued)
            if progress is not None:
                progress(*figures)
    except Exception as error:
        with database.session() as session:
            job = session.get(CertificateJob, job_id)
            job.state, job.updated_at = "failed", utcnow()
            job.error = "\n".join([*problems, f"任务中断：{error}"])
        raise
    with database.session() as session:
        job = session.get(CertificateJob, job_id)
        job.state, job.finished_at = "done", utcnow()
        job.updated_at = job.finished_at
        return {"done": job.done, "total": job.total, "issued": job.issued, "problems": problems}
