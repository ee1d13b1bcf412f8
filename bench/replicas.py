"""The cluster in miniature: throughput of a burst with 1 and with 2 grading workers.

Usage (PostgreSQL required)::

    YIYUAN_TEST_PG_URL=postgresql+psycopg:///postgres?host=/var/run/postgresql \\
        .venv/bin/python bench/replicas.py [--submissions 24] [--workers 1,2]

What runs (tests/cluster.py, as tests/test_replicas.py): one hub on a scratch PostgreSQL
database with the yiyuan service as an external service (``service.external_url``) at a
round-robin proxy in front of two ``yiyuan service run --listen`` replicas started outside the
hub, and no grading pool from the hub (``grading.run_by_hub: false``). For each worker count
K, K separate ``yiyuan grading run --workers 1`` processes are started (each its own settings
file, working directory and sandbox uids; sharing the database and the storage only), every
learner hands in nbgrader's assignment ps1 once, all in one burst through the proxy (half the
learners the solution, half the release as handed out: a sandboxed kernel per notebook, two
notebooks per submission), and the time from the first POST until every job is done is taken.
The pools are stopped before the next K.

Prints per K: seconds, submissions per minute, how the burst's POSTs were spread over the
replicas, the jobs' states and attempts, and the ratio of the throughputs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from cluster import (  # noqa: E402
    PS1_COURSE,
    PS1_MODULE,
    RoundRobinProxy,
    courses_with_ps1,
    ps1_solved,
    start_pool,
    start_replica,
    stop,
    wait_listening,
    wait_pool_ready,
)
from people import Person  # noqa: E402
from scratch_pg import fresh_pg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from hubtest import Hub, processes_under, wait_for  # noqa: E402
from yiyuan.accounts.service import create_account  # noqa: E402
from yiyuan.catalog.enrolment import enrol  # noqa: E402
from yiyuan.db import Database  # noqa: E402
from yiyuan.demo import DEMO_PASSWORD  # noqa: E402
from yiyuan.exchange import archives  # noqa: E402
from yiyuan.models import Course, Grade, GradingJob, JobState, Role  # noqa: E402


def learners(database: Database, count: int) -> list[str]:
    names = [f"xueyuan{number:03d}" for number in range(count)]
    with database.session() as session:
        course = session.scalar(select(Course).where(Course.code == PS1_COURSE))
        for number, name in enumerate(names):
            account, _ = create_account(
                session,
                name,
                f"学员{number}",
                [Role.learner],
                password=DEMO_PASSWORD,
                must_change_password=False,
            )
            enrol(session, course, account, "admin")
    return names


def burst(proxy: RoundRobinProxy, database: Database, people: dict, packed: dict) -> dict:
    """Every learner hands in once, all at once; until every job is done."""
    with database.session() as session:
        last_job = session.scalar(select(func.max(GradingJob.id))) or 0
    before = len(proxy.forwarded)

    def hand_in(name: str) -> int:
        response = people[name].call(
            "POST", f"api/exchange/submissions/{PS1_COURSE}/{PS1_MODULE}", data=packed[name]
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    started = time.monotonic()
    with ThreadPoolExecutor(min(16, len(people))) as executor:
        ids = list(executor.map(hand_in, people))
    posted = time.monotonic() - started

    def finished() -> bool:
        with database.session() as session:
            open_jobs = session.scalar(
                select(func.count())
                .select_from(GradingJob)
                .where(
                    GradingJob.id > last_job,
                    GradingJob.state.in_((JobState.queued, JobState.running)),
                )
            )
            jobs = session.scalar(
                select(func.count()).select_from(GradingJob).where(GradingJob.id > last_job)
            )
        return jobs == len(ids) and open_jobs == 0

    wait_for(finished, 3600, "every job done")
    elapsed = time.monotonic() - started
    with database.session() as session:
        jobs = session.scalars(select(GradingJob).where(GradingJob.id > last_job)).all()
        states = {state.value: sum(j.state == state for j in jobs) for state in JobState}
        attempts = max(j.attempts for j in jobs)
        workers = len({j.worker for j in jobs})
        span = max(j.finished_at for j in jobs) - min(j.claimed_at for j in jobs)
        grades = session.scalar(
            select(func.count()).select_from(Grade).where(Grade.submission_id.in_(ids))
        )
    posts = [f.backend for f in proxy.forwarded[before:] if f.method == "POST"]
    return {
        "submissions": len(ids),
        "seconds": elapsed,
        "posted": posted,
        "claim_to_finish": span.total_seconds(),
        "per_minute": 60 * len(ids) / elapsed,
        "states": states,
        "max_attempts": attempts,
        "workers_used": workers,
        "grades": grades,
        "posts_per_replica": [posts.count(i) for i in range(len(proxy.backends))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=24)
    parser.add_argument("--workers", default="1,2", help="worker counts to time, e.g. 1,2")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    counts = [int(k) for k in args.workers.split(",")]
    admin_url = os.environ.get("YIYUAN_TEST_PG_URL")
    if not admin_url:
        sys.exit("YIYUAN_TEST_PG_URL is not set (a PostgreSQL the run may create a database in)")
    root = Path(tempfile.mkdtemp(prefix="yiyuan-bench-replicas-"))
    db_url, drop = fresh_pg(admin_url)
    token = os.urandom(32).hex()
    proxy = RoundRobinProxy([])
    hub = Hub(
        root / "hub",
        {
            "db_url": db_url,
            "hub": {"db_url": db_url},
            "courses_dir": str(courses_with_ps1(root)),
            "service": {"external_url": proxy.url, "processes": 1},
            "grading": {"run_by_hub": False},
            "culler": {"enabled": False},
        },
        environment={"YIYUAN_SERVICE_API_TOKEN": token},
    )
    started, results = [], {}
    database = Database(db_url)
    try:
        hub.cli("db", "upgrade")
        hub.cli("demo", "seed")
        hub.cli("courses", "publish", PS1_COURSE, "--actor", "admin")
        names = learners(database, args.submissions)
        hub.start()
        replicas = [start_replica(hub, root / f"replica-{n}", token) for n in (1, 2)]
        started += [replica for replica, _url in replicas]
        proxy.backends[:] = [url for _replica, url in replicas]
        for replica, url in replicas:
            wait_listening(url, replica)
        proxy.start()
        print(f"cpus: {os.cpu_count()}, learners: {len(names)}, load: {os.getloadavg()}")
        people = {name: Person(hub, name) for name in names}
        packed = {}
        for number, (name, person) in enumerate(people.items()):
            release = person.call("GET", f"api/exchange/release/{PS1_COURSE}/{PS1_MODULE}")
            release.raise_for_status()
            work = root / "handed-in" / name
            archives.unpack(release.content, work, 10**8)
            if number % 2 == 0:
                ps1_solved(work)
            packed[name] = archives.pack(work)
        # a first submission of the lesson version warms the course directory (nbgrader's
        # gradebook, the release's files) outside the timed bursts
        warm = start_pool(hub, root / "pool-warm", workers=1, sandbox_uid=63000)
        started.append(warm)
        wait_pool_ready(warm)
        burst(proxy, database, {names[0]: people[names[0]]}, packed)
        stop([warm])
        for workers in counts:
            pools = [
                start_pool(hub, root / f"pool-{workers}-{n}", workers=1, sandbox_uid=64000 + 10 * n)
                for n in range(workers)
            ]
            started += pools
            for pool in pools:
                wait_pool_ready(pool)
            print(f"load before {workers} worker(s): {os.getloadavg()}")
            results[workers] = burst(proxy, database, people, packed)
            stop(pools)
            r = results[workers]
            print(
                f"{workers} worker(s): {r['submissions']} submissions in {r['seconds']:.1f} s "
                f"(posted in {r['posted']:.1f} s; first claim → last done "
                f"{r['claim_to_finish']:.1f} s): {r['per_minute']:.1f} submissions/min"
            )
            print(
                f"    jobs {r['states']}, max attempts {r['max_attempts']}, workers used "
                f"{r['workers_used']}, grades {r['grades']}, POSTs per replica "
                f"{r['posts_per_replica']}"
            )
        if len(counts) == 2:
            low, high = counts
            ratio = results[high]["per_minute"] / results[low]["per_minute"]
            print(f"ratio {high} / {low} workers (throughput): {ratio:.2f}x")
        print(f"requests per replica (all): {proxy.counts()}")
    finally:
        stop([one for one in started if one.process.poll() is None])
        proxy.stop()
        hub.stop()
        database.dispose()
        left = processes_under(root)
        drop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
        if left:
            print(f"LEFT RUNNING: {left}")
            sys.exit(1)


if __name__ == "__main__":
    main()
