"""The grading queue, kept in the platform database (``grading_jobs``).

A job moves ``queued → running → done``, or back to ``queued`` when its worker stopped
heartbeating (taken to be dead) or grading broke for a reason outside the notebook, and to
``failed`` after ``settings.grading.retries`` attempts. Claiming is one statement that only one
worker can win: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite an ``UPDATE …
WHERE state = 'queued'`` (SQLite has one writer at a time). Every function works inside the
caller's transaction; the caller commits (``with database.session() as session: …``).

Workers may run on several hosts against one PostgreSQL. A job belongs to the worker named in
its row (``host:pid:pool``, :func:`yiyuan.grading.worker.worker_name`): only that worker
heartbeats, finishes, fails or releases it. Any worker takes back a job whose heartbeat is
older than ``grading.stale_after`` (its host may be gone for good); heartbeats are written and
judged by the database's clock, so hosts whose clocks disagree do not take each other's live
jobs (SQLite serves one machine: its clock is that machine's).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import DateTime, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ..i18n import get_catalogue
from ..models import CompletionEvent, Grade, GradingJob, JobState, Module, Submission
from ..models.base import utcnow


def enqueue(session: Session, submission_id: int, again: bool = False) -> GradingJob:
    """The submission's job, created queued if it has none (one job per submission).
    ``again=True`` queues a finished or failed job once more (a regrade)."""
    job = session.scalar(select(GradingJob).where(GradingJob.submission_id == submission_id))
    if job is None:
        try:
            with session.begin_nested():
                job = GradingJob(submission_id=submission_id, state=JobState.queued)
                session.add(job)
            return job
        except IntegrityError:  # queued at the same moment by another request
            job = session.scalars(
                select(GradingJob).where(GradingJob.submission_id == submission_id)
            ).one()
    if again and job.state in (JobState.done, JobState.failed):
        job.state = JobState.queued
        job.attempts = 0
        job.error = ""
        job.worker = ""
        job.queued_at = utcnow()
        job.finished_at = None
        session.flush()
    return job


def claim(session: Session, worker: str) -> GradingJob | None:
    """Take the oldest queued job for ``worker`` (``host:pid``), or None when there is none."""
    oldest = (
        select(GradingJob.id)
        .where(GradingJob.state == JobState.queued)
        .order_by(GradingJob.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    claimed = session.scalar(
        update(GradingJob)
        .where(GradingJob.id == oldest.scalar_subquery(), GradingJob.state == JobState.queued)
        .values(
            state=JobState.running,
            worker=worker,
            attempts=GradingJob.attempts + 1,
            # the worker's clock, as the Grade it records (``_recorded`` compares the two)
            claimed_at=utcnow(),
            heartbeat_at=database_now(session),
        )
        .returning(GradingJob.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:
        return None
    job = session.get(GradingJob, claimed, populate_existing=True)
    return job


def has_work(session: Session) -> bool:
    """Whether any job is queued or running (a cheap read before trying to claim)."""
    return bool(
        session.scalar(
            select(func.count())
            .select_from(GradingJob)
            .where(GradingJob.state.in_((JobState.queued, JobState.running)))
        )
    )


def queued(session: Session) -> bool:
    return (
        session.scalar(select(GradingJob.id).where(GradingJob.state == JobState.queued).limit(1))
        is not None
    )


def heartbeat(session: Session, job_id: int, worker: str) -> bool:
    """Refresh the job's heartbeat; False when the job is no longer this worker's."""
    result = session.execute(
        update(GradingJob)
        .where(
            GradingJob.id == job_id,
            GradingJob.worker == worker,
            GradingJob.state == JobState.running,
        )
        .values(heartbeat_at=database_now(session))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def finish(session: Session, job_id: int, worker: str) -> bool:
    """Mark the job done; False when it was no longer this worker's (taken over as stale)."""
    result = session.execute(
        update(GradingJob)
        .where(
            GradingJob.id == job_id,
            GradingJob.worker == worker,
            GradingJob.state == JobState.running,
        )
        .values(state=JobState.done, finished_at=utcnow(), error="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def fail(session: Session, job_id: int, worker: str, error: str, retries: int) -> JobState | None:
    """Grading broke outside the notebook: queue the job again, or mark it ``failed`` with the
    Chinese ``error`` once it has had ``retries`` attempts. None when it was not ours."""
    job = session.scalar(
        select(GradingJob)
        .where(GradingJob.id == job_id)
        .options(lazyload("*"))  # FOR UPDATE cannot lock the outer-joined relationships
        .with_for_update(of=GradingJob)
        .execution_options(populate_existing=True)
    )
    if job is None or job.worker != worker or job.state != JobState.running:
        return None
    _give_back(session, job, error, retries)
    session.flush()
    return job.state


def requeue_stale(session: Session, stale_after_seconds: float, retries: int = 3) -> int:
    """Running jobs whose worker stopped heartbeating: queued again (or failed after
    ``retries`` attempts). Returns how many were taken back."""
    limit = database_now(session) - timedelta(seconds=stale_after_seconds)
    stale = (
        select(GradingJob)
        .where(GradingJob.state == JobState.running, GradingJob.heartbeat_at < limit)
        .options(lazyload("*"))
    )
    if session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True, of=GradingJob)
    jobs = list(session.scalars(stale))
    for job in jobs:
        if not _recorded(session, job):
            _give_back(session, job, get_catalogue().grader_worker_died, retries)
    session.flush()
    return len(jobs)


def release(session: Session, worker: str) -> int:
    """The running jobs of ``worker``, stopped mid-job by a shutdown (not by the job): queued
    again as if never claimed, so the interrupted attempt does not count. Returns how many."""
    held = select(GradingJob).where(
        GradingJob.state == JobState.running, GradingJob.worker == worker
    )
    jobs = list(session.scalars(held.options(lazyload("*"))))
    for job in jobs:
        if not _recorded(session, job):
            job.state = JobState.queued
            job.worker = ""
            job.attempts = max(0, job.attempts - 1)
    session.flush()
    return len(jobs)


def database_now(session: Session):
    """The time for heartbeats: the database server's clock (UTC, without zone as the columns
    keep it) on PostgreSQL, where workers of several hosts judge each other's heartbeats;
    this machine's on SQLite, which only one machine uses."""
    if session.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", func.statement_timestamp(), type_=DateTime())
    return utcnow()


def _recorded(session: Session, job: GradingJob) -> bool:
    """A worker that died after recording the grade but before marking its job done has
    graded it: mark it done now, rather than grade it a second time."""
    graded_at = session.scalar(
        select(Grade.graded_at).where(Grade.submission_id == job.submission_id)
    )
    if graded_at is None or job.claimed_at is None or graded_at < job.claimed_at:
        return False
    job.state = JobState.done
    job.finished_at = graded_at
    job.error = ""
    return True


def _give_back(session: Session, job: GradingJob, error: str, retries: int) -> None:
    if job.attempts < max(1, retries):
        job.state = JobState.queued
        job.error = ""
        job.worker = ""
        return
    job.state = JobState.failed
    job.error = error
    job.finished_at = utcnow()
    submission = session.get(Submission, job.submission_id)
    session.add(
        CompletionEvent(
            account_id=submission.account_id,
            kind="grading-failed",
            course_id=session.get(Module, submission.module_id).course_id,
            module_id=submission.module_id,
            submission_id=submission.id,
            detail={"error": error, "attempts": job.attempts},
        )
    )


def status(session: Session) -> dict[str, int]:
    """How many jobs are in each state (every state listed, 0 when none)."""
    counts = dict.fromkeys((state.value for state in JobState), 0)
    rows = session.execute(select(GradingJob.state, func.count()).group_by(GradingJob.state)).all()
    for state, number in rows:
        counts[JobState(state).value] = number
    return counts
