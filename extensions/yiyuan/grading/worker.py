"""The grading worker pool: a supervisor and N long-lived worker processes.

Each worker imports nbgrader once, then loops: take back stale jobs, claim the oldest queued
job, grade it (kernels start from the worker, so the learner's code never runs in the
service), mark it done. Idle workers poll the database every 0.3 s, so a submission starts
grading well within a second. While grading, a thread refreshes the job's heartbeat; a worker
that dies stops heartbeating and its job is queued again after ``grading.stale_after`` seconds
(grading is idempotent: the same submission gives the same Grade row). The supervisor restarts
workers that die. On SIGTERM/SIGINT it stops them within seconds: idle workers stop at once, a
busy one gets ``STOP_GRACE`` seconds to finish its job and is then killed (its sandboxed kernels
die with it) and its job queued again without counting the attempt, to be done on the next
start. Workers die with the supervisor (``PR_SET_PDEATHSIG``): if it is killed, their jobs come
back through the heartbeat.

Pools may run on several hosts against one PostgreSQL (``SKIP LOCKED`` claims). A worker is
named ``host:pid:pool``, ``pool`` a random token of its pool's start: a pool gives back only
its own workers' jobs even where two hosts share a name and pid numbers (containers: every
pod's pids start at 1). Stale jobs are taken back by any worker, judged by the database's
clock (``queue.requeue_stale``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import secrets
import signal
import socket
import threading
import time

from ..db import Database
from ..i18n import get_catalogue
from ..lifecycle import die_with_parent
from ..platform import Platform
from ..settings import Settings

log = logging.getLogger(__name__)

#: seconds between polls of an idle worker
POLL = 0.3
#: seconds a busy worker may take to finish its job when the pool stops; after that it is
#: killed and the job queued again (the hub waits for the pool, and a stop must be quick)
STOP_GRACE = 2.0


def pool_size(settings: Settings, workers: int | None = None) -> int:
    count = settings.grading.workers if workers is None else workers
    return count if count > 0 else (os.cpu_count() or 1)


def run_pool(settings: Settings, workers: int | None = None, once: bool = False) -> None:
    """Run the pool until SIGTERM/SIGINT, or with ``once=True`` until the queue is drained."""
    from .autograde import sandbox_workspace
    from .sandbox import clear_workspace, require_sandbox

    require_sandbox(settings.mode, settings.grading)
    clear_workspace(sandbox_workspace(settings))
    size = pool_size(settings, workers)
    # a few malloc arenas keep a worker's address space (its memory limit) predictable
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda *_: stopping.set())

    pool = new_pool_token()

    def start(index: int):
        process = context.Process(
            target=worker_main,
            args=(settings, once, index, pool),
            name=f"yiyuan-grading-{index}",
            daemon=False,
        )
        process.start()
        return process

    processes = {index: start(index) for index in range(size)}
    done: set[int] = set()
    try:
        while len(done) < size and not stopping.is_set():
            for index, process in processes.items():
                if index in done or process.is_alive():
                    continue
                if once and process.exitcode == 0:
                    done.add(index)
                    continue
                log.warning("grading worker %s ended (%s): restarting", index, process.exitcode)
                time.sleep(0.5)
                processes[index] = start(index)
            stopping.wait(0.2)
    finally:
        killed = _stop(processes.values(), grace=STOP_GRACE)
        if killed:
            _give_back(settings, killed, pool)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop(processes, grace: float) -> list[int]:
    """Stop the workers; the pids of those that had to be killed mid-job."""
    alive = [p for p in processes if p.is_alive()]
    for process in alive:
        process.terminate()  # SIGTERM: an idle worker exits, a busy one finishes its job
    deadline = time.monotonic() + grace
    killed = []
    for process in alive:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(5)
            killed.append(process.pid)
    return killed


def _give_back(settings: Settings, pids: list[int], pool: str) -> None:
    """The jobs of this pool's workers killed by the stop go back to the queue at once
    (instead of after ``stale_after``), without counting the interrupted attempt."""
    from . import queue

    platform = Platform(settings)
    try:
        with platform.database.session() as session:
            for pid in pids:
                if queue.release(session, worker_name(pid, pool)):
                    log.info("grading worker %s stopped mid-job: job queued again", pid)
    except Exception:  # the heartbeat takes the job back at the next start
        log.exception("could not queue the interrupted grading jobs again")
    finally:
        platform.dispose()


def new_pool_token() -> str:
    return secrets.token_hex(4)


def worker_name(pid: int | None = None, pool: str = "") -> str:
    """``host:pid:pool``, what the queue knows a worker by (``grading_jobs.worker``, at most
    100 characters: a host name has at most 64)."""
    name = f"{socket.gethostname()[:64]}:{os.getpid() if pid is None else pid}"
    return f"{name}:{pool}" if pool else name


def limit_memory(megabytes: int) -> None:
    """Address-space limit for this worker and every kernel it starts (they inherit it)."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


#: CPU priority of workers and their kernels below the hub and the service (as the dashboards'
#: kernels, yiyuan.dashboards.kernels.KERNEL_NICENESS)
WORKER_NICENESS = 10


def worker_main(
    settings: Settings, once: bool = False, slot: int = 0, pool: str | None = None
) -> None:
    """One worker process: loop over the queue until told to stop (or drained, with once).
    ``slot`` numbers the worker in its pool; its sandboxed kernels run as their own uid.
    ``pool`` is its pool's token (a worker started on its own makes one)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # nbgrader logs every copied file (and a checksum warning per hidden test): errors only
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides (Ctrl-C reaches all)
    # a worker outliving its supervisor would grade beside the next pool's workers
    parent = multiprocessing.parent_process()
    if parent is not None:
        die_with_parent(parent.pid, signal.SIGKILL)
    # grading is batch work: when a deadline brings learners and submissions together, their
    # pages and saves get the cores first and the queue drains on what is left (its kernels
    # inherit this)
    os.nice(WORKER_NICENESS)
    limit_memory(settings.grading.memory_mb)
    # imported once per worker: this is the start-up a per-submission CLI pays every time
    import nbgrader.converters  # noqa: F401

    from . import autograde  # noqa: F401
    from .coursedir import ensure_path_for_nbgrader

    ensure_path_for_nbgrader()
    # this process's settings, database and time zone (late work is judged by its midnight)
    platform = Platform(settings)
    name = worker_name(pool=pool or new_pool_token())
    log.info("grading worker %s (slot %s) ready", name, slot)
    try:
        work_loop(settings, platform.database, name, once, stopping, slot)
    finally:
        platform.dispose()
    # nothing is left to do: skip tearing down nbgrader's modules (the pool waits for us)
    logging.shutdown()
    os._exit(0)


def work_loop(
    settings: Settings,
    database: Database,
    name: str,
    once: bool,
    stopping: threading.Event,
    slot: int = 0,
) -> None:
    from . import queue

    grading = settings.grading
    every = max(1.0, min(5.0, grading.stale_after / 3))
    last_sweep = 0.0
    while not stopping.is_set():
        if time.monotonic() - last_sweep >= every:
            with database.session() as session:
                if queue.requeue_stale(session, grading.stale_after, grading.retries):
                    log.warning("took back stale grading jobs")
            last_sweep = time.monotonic()
        with database.session() as session:
            job = queue.claim(session, name) if queue.queued(session) else None
            claimed = (job.id, job.submission_id) if job is not None else None
        if claimed is None:
            if once:
                with database.session() as session:
                    if not queue.has_work(session):
                        return
            stopping.wait(POLL)
            continue
        run_job(settings, database, name, *claimed, slot=slot)


def run_job(
    settings: Settings,
    database: Database,
    name: str,
    job_id: int,
    submission_id: int,
    slot: int = 0,
):
    from . import queue
    from .autograde import grade_submission
    from .coursedir import GradingError

    beating = threading.Event()
    interval = max(0.5, min(10.0, settings.grading.stale_after / 4))

    def beat() -> None:
        while not beating.wait(interval):
            try:
                with database.session() as session:
                    queue.heartbeat(session, job_id, name)
            except Exception:  # a missed beat is not fatal; the next one may get through
                log.exception("heartbeat of job %s failed", job_id)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        grade_submission(settings, database, submission_id, slot)
    except Exception as error:
        if isinstance(error, GradingError):
            message = str(error)
        else:
            message = get_catalogue().grader_program_error
        log.exception("grading job %s (submission %s) failed", job_id, submission_id)
        with database.session() as session:
            queue.fail(session, job_id, name, message, settings.grading.retries)
        return
    finally:
        beating.set()
        thread.join()
    with database.session() as session:
        if not queue.finish(session, job_id, name):
            log.warning("job %s was taken over before it finished here", job_id)
    log.info("graded submission %s in %.1f s", submission_id, time.monotonic() - started)
