"""A cluster in miniature on one machine (issue 22): one hub on PostgreSQL; the yiyuan service
as an external hub service (``service.external_url``) at a round-robin proxy in front of TWO
replicas started outside the hub; no grading pool from the hub (``grading.run_by_hub:
false``) but FOUR ``yiyuan grading run`` processes started apart. Each replica and pool has its
own working directory, home, settings file and log; they share the database and the data
directory's storage only. A burst of submissions goes through both replicas and every one is
graded exactly once; a sign-in begun on one replica is finished by the other."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from cluster import (
    PS1_COURSE,
    PS1_MODULE,
    SERVICE_PREFIX,
    RoundRobinProxy,
    courses_with_ps1,
    ps1_solved,
    start_pool,
    start_replica,
    stop,
    wait_listening,
    wait_pool_ready,
)
from people import Person
from pgtest import fresh_pg_database
from sqlalchemy import func, select

from hubtest import Hub, processes_under, wait_for
from yiyuan.db import Database
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange import archives
from yiyuan.grading.sandbox import OWNER, clear_workspace
from yiyuan.models import Grade, GradingJob, JobState, OAuthState, Submission

LEARNERS = ["wangfang", "liuyang", "zhaolei", "sunli"]
ROUNDS = 2  # each learner hands in twice: 8 submissions
POOLS = 4


@pytest.fixture(scope="module")
def platform_db(pg_admin_url):
    """A PostgreSQL database of its own for the module's cluster."""
    with fresh_pg_database(pg_admin_url) as url:
        yield url


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, platform_db):
    root = tmp_path_factory.mktemp("replicas")
    token = secrets.token_hex(32)
    proxy = RoundRobinProxy([])
    hub = Hub(
        root / "hub",
        {
            "db_url": platform_db,
            "hub": {"db_url": platform_db},  # JupyterHub's tables beside the platform's
            "courses_dir": str(courses_with_ps1(root)),
            "service": {"external_url": proxy.url, "processes": 1},
            "grading": {"run_by_hub": False},
            "culler": {"enabled": False},
        },
        environment={"YIYUAN_SERVICE_API_TOKEN": token},
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", PS1_COURSE, "--actor", "admin")
    for learner in LEARNERS:
        hub.cli("courses", "enrol", PS1_COURSE, learner)
    started = []
    try:
        hub.start()
        replicas = [start_replica(hub, root / f"replica-{n}", token) for n in (1, 2)]
        started += [replica for replica, _url in replicas]
        proxy.backends[:] = [url for _replica, url in replicas]
        for replica, url in replicas:
            wait_listening(url, replica)
        proxy.start()
        pools = [
            start_pool(hub, root / f"pool-{n}", workers=1, sandbox_uid=64000 + 10 * n)
            for n in range(POOLS)
        ]
        started += pools
        for pool in pools:
            wait_pool_ready(pool)
        yield {"hub": hub, "proxy": proxy, "pools": pools, "replicas": started[:2], "root": root}
    finally:
        stop(started)
        proxy.stop()
        hub.stop()
    # nothing of the cluster is left: replicas, pools, their workers and kernels, the hub's
    assert processes_under(root) == {}


@pytest.fixture(scope="module")
def burst(cluster, tmp_path_factory):
    """Every learner fetches the module through the proxy, then all hand in at once, twice;
    returns the submissions' ids after all are graded."""
    hub, proxy = cluster["hub"], cluster["proxy"]
    folder = tmp_path_factory.mktemp("handed-in")
    people = {name: Person(hub, name) for name in LEARNERS}
    archives_of = {}
    for name, person in people.items():
        release = person.call("GET", f"api/exchange/release/{PS1_COURSE}/{PS1_MODULE}")
        assert release.status_code == 200, release.text
        work = folder / name
        archives.unpack(release.content, work, 10**8)
        if name == "wangfang":
            ps1_solved(work)  # the others hand in the release as it is
        archives_of[name] = archives.pack(work)
    before = len(proxy.forwarded)

    def hand_in(name: str) -> int:
        response = people[name].call(
            "POST",
            f"api/exchange/submissions/{PS1_COURSE}/{PS1_MODULE}",
            data=archives_of[name],
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    with ThreadPoolExecutor(len(LEARNERS) * ROUNDS) as pool:
        ids = list(pool.map(hand_in, LEARNERS * ROUNDS))
    posts = [f for f in proxy.forwarded[before:] if f.method == "POST"]
    database = Database(hub_settings_url(hub))
    try:

        def all_graded() -> bool:
            with database.session() as session:
                states = session.scalars(
                    select(GradingJob.state).where(GradingJob.submission_id.in_(ids))
                ).all()
            return len(states) == len(ids) and all(
                s in (JobState.done, JobState.failed) for s in states
            )

        wait_for(all_graded, 600, "every submission graded")
    finally:
        database.dispose()
    return {"ids": ids, "posts": posts, "people": people}


def hub_settings_url(hub: Hub) -> str:
    import yaml

    return yaml.safe_load(hub.config_file.read_text(encoding="utf-8"))["db_url"]


def test_the_hub_routes_to_the_external_service_and_starts_neither_it_nor_a_grader(cluster):
    running = "\n".join(cluster["hub"].processes().values())
    # the hub's own services (roster sync) run; the yiyuan service and the grader are ours
    assert "members sync" in running
    assert "service run" not in running and "grading run" not in running
    hub = cluster["hub"]
    routes = hub.browser().get("/services/yiyuan/", allow_redirects=False)
    assert routes.status_code == 302  # answered by a replica: off to the hub's OAuth
    assert sum(cluster["proxy"].counts()) >= 1


def test_a_burst_through_both_replicas_is_graded_exactly_once(cluster, burst):
    ids = burst["ids"]
    assert len(set(ids)) == len(LEARNERS) * ROUNDS
    # the burst's submissions went to both replicas
    assert {post.backend for post in burst["posts"]} == {0, 1}, burst["posts"]
    assert all(c > 0 for c in cluster["proxy"].counts())
    database = Database(hub_settings_url(cluster["hub"]))
    try:
        with database.session() as session:
            jobs = session.scalars(select(GradingJob).where(GradingJob.submission_id.in_(ids)))
            jobs = {job.submission_id: job for job in jobs}
            grades = Counter(
                session.scalars(select(Grade.submission_id).where(Grade.submission_id.in_(ids)))
            )
            feedback = dict(
                session.execute(
                    select(Grade.submission_id, Grade.feedback_path).where(
                        Grade.submission_id.in_(ids)
                    )
                ).all()
            )
            scores = dict(
                session.execute(
                    select(Submission.id, Grade.auto_score)
                    .join(Grade, Grade.submission_id == Submission.id)
                    .where(Submission.id.in_(ids))
                ).all()
            )
            stored = session.scalar(
                select(func.count()).select_from(Submission).where(Submission.id.in_(ids))
            )
    finally:
        database.dispose()
    assert stored == len(ids)
    # one job per submission, done at its first claim; one grade and one feedback page each
    assert sorted(jobs) == sorted(ids)
    assert {job.state for job in jobs.values()} == {JobState.done}
    assert {job.attempts for job in jobs.values()} == {1}
    assert grades == Counter(ids)
    assert all(feedback[i] for i in ids)
    # each submission graded by one worker process only: the workers' own logs, all four pools
    graded = Counter()
    for pool in cluster["pools"]:
        for match in re.finditer(r"graded submission (\d+) in", pool.log_text()):
            graded[int(match[1])] += 1
    assert graded == Counter(ids), graded
    # spread over the pools, which share nothing but the database and the storage
    workers = {job.worker for job in jobs.values()}
    assert len(workers) >= 2, workers
    # and graded right: the solution passes, the release as handed out does not
    wangfang = [i for i, name in zip(ids, LEARNERS * ROUNDS, strict=True) if name == "wangfang"]
    others = [i for i in ids if i not in wangfang]
    assert all(scores[i] > 0 for i in wangfang) and all(scores[i] == 0 for i in others)
    result = burst["people"]["wangfang"].call("GET", f"api/submissions/{wangfang[0]}").json()
    assert result["grading"] == "done" and result["result"]["status"] == "passed"


@pytest.mark.parametrize("learner", LEARNERS)
def test_a_sign_in_begun_on_one_replica_is_finished_on_the_other(cluster, burst, learner):
    hub, proxy = cluster["hub"], cluster["proxy"]
    database = Database(hub_settings_url(hub))
    with database.session() as session:  # sign-ins begun and never finished (other tests')
        unfinished = session.scalar(select(func.count()).select_from(OAuthState))
    before = len(proxy.forwarded)
    browser = hub.browser()
    portal = browser.login(learner, DEMO_PASSWORD, params={"next": SERVICE_PREFIX})
    assert portal.status_code == 200 and urlsplit(portal.url).path == SERVICE_PREFIX, portal.url
    assert "我的学习" in portal.text
    seen = proxy.forwarded[before:]
    # the service sent the browser to the hub (302) from one replica; the hub's redirect back
    # (oauth_callback) was answered by the other, which found the state in the database
    callbacks = [i for i, f in enumerate(seen) if f.path.endswith("/oauth_callback")]
    assert len(callbacks) == 1, seen
    callback = callbacks[0]
    started = seen[callback - 1]
    assert started.status == 302 and started.path == SERVICE_PREFIX, seen
    assert seen[callback].backend != started.backend and seen[callback].status == 302, seen
    try:
        with database.session() as session:  # this one's state used once, then gone
            left = session.scalar(select(func.count()).select_from(OAuthState))
            assert left == unfinished, seen
    finally:
        database.dispose()


def test_a_pool_clears_only_what_dead_workers_of_its_host_left(tmp_path):
    """Pools beside each other share the data directory's sandbox workspace: a starting pool
    must not remove the folders of another's running kernels."""
    import os
    import socket
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    folders = {
        "mine-running": f"{socket.gethostname()} {os.getpid()}",
        "dead": f"{socket.gethostname()} {gone.pid}",
        "other-host": f"another-host {os.getpid() + 1}",
        "older": None,  # made before folders named their owner
    }
    for name, owner in folders.items():
        (tmp_path / name / "work").mkdir(parents=True)
        if owner:
            (tmp_path / name / OWNER).write_text(owner)
    clear_workspace(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine-running", "other-host"]
