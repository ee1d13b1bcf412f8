"""Benchmark: submission → completion recorded, through the whole platform.

A real hub starts the yiyuan service and the grader (default worker count); learners submit the
demo module ``shufa-jianshang / shuti-yanbian`` over HTTP with their own hub tokens, as their
servers would. Latency of a submission = the moment its completion was recorded (the ``graded``
event, written in the same transaction as the module result and the study hours) minus the
service's ``submitted_at``; the client-side figure (POST sent → the result visible through the
API) is printed beside it for the idle runs.

- idle: ``--idle`` submissions one after another, each waiting for its result;
- burst: ``--burst`` submissions posted at once (200 queued), each learner resubmitting.

Baseline in the same run, on the same notebook: stock nbgrader has no grading on arrival; the
fastest a stock deployment can turn a submission into a grade is an instructor running
``nbgrader collect`` and ``nbgrader autograde`` the moment it arrives, after the learner's
``nbgrader submit`` (default exchange). That pipeline is timed end to end.

    .venv/bin/python bench/submission_latency.py [--idle 20] [--burst 200]

Aim (ARCHITECTURE.md): p95 ≤ 10 s with no backlog.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import select  # noqa: E402
from stats import summary  # noqa: E402

from hubtest import Hub  # noqa: E402
from yiyuan.db import Database  # noqa: E402
from yiyuan.demo import DEMO_PASSWORD  # noqa: E402
from yiyuan.exchange import archives  # noqa: E402
from yiyuan.models import CompletionEvent, Submission  # noqa: E402

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
LEARNERS = ("wangfang", "liuyang", "zhaolei", "sunli")
RIGHT = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变", "q5": "柳公权"}


class Learner:
    def __init__(self, hub: Hub, username: str, folder: Path) -> None:
        browser = hub.browser()
        browser.login(username, DEMO_PASSWORD).raise_for_status()
        self.base = f"{hub.url}/services/yiyuan/"
        self.headers = {"Authorization": f"token {browser.token()}"}
        requests.post(self.base + f"api/courses/{COURSE}/enrol", headers=self.headers, timeout=30)
        release = requests.get(
            self.base + f"api/exchange/release/{COURSE}/{MODULE}", headers=self.headers, timeout=60
        )
        release.raise_for_status()
        target = folder / username
        archives.unpack(release.content, target, 10**8)
        answers = {**RIGHT, "r1": "我最喜欢行书。" * 20}
        (target / "answers.json").write_text(
            json.dumps({"version": 1, "answers": answers}, ensure_ascii=False), "utf-8"
        )
        self.archive = archives.pack(target)

    def submit(self) -> int:
        response = requests.post(
            self.base + f"api/exchange/submissions/{COURSE}/{MODULE}",
            data=self.archive,
            headers=self.headers,
            timeout=60,
        )
        response.raise_for_status()
        return response.json()["id"]

    def visible(self, submission_id: int) -> bool:
        state = requests.get(
            self.base + f"api/submissions/{submission_id}", headers=self.headers, timeout=30
        ).json()
        return state["grading"] in ("done", "failed") and bool(state["result"])


def recorded_latencies(database: Database, ids: list[int], timeout: float) -> list[float]:
    """Seconds from the service's submitted_at to the graded event, waiting for all."""
    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            rows = session.execute(
                select(Submission.id, Submission.submitted_at, CompletionEvent.at)
                .join(CompletionEvent, CompletionEvent.submission_id == Submission.id)
                .where(Submission.id.in_(ids), CompletionEvent.kind == "graded")
            ).all()
        latest = {}
        for submission_id, _submitted, at in rows:
            latest[submission_id] = max(latest.get(submission_id, at), at)
        if len(latest) == len(ids):
            submitted = {r[0]: r[1] for r in rows}
            return [(latest[i] - submitted[i]).total_seconds() for i in ids]
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(latest)} of {len(ids)} graded within {timeout} s")
        time.sleep(0.5)


def stock_pipeline(hub: Hub, tmp: Path, runs: int) -> list[float]:
    """nbgrader submit → collect → autograde with the default exchange, per submission."""
    course = tmp / "stock"
    exchange = tmp / "stock-exchange"
    exchange.mkdir(mode=0o777)
    source = hub.data_dir / "coursedirs" / COURSE / "source" / MODULE
    shutil.copytree(source, course / "source" / MODULE)
    config = (
        f"c = get_config()\nc.CourseDirectory.course_id = 'stock'\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )
    (course / "nbgrader_config.py").write_text(config)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "YIYUAN"))},
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }

    def nbgrader(*args: str, cwd: Path) -> None:
        subprocess.run(
            [str(BIN / "nbgrader"), *args], cwd=cwd, env=env, check=True, capture_output=True
        )

    nbgrader("generate_assignment", MODULE, "--create", "--force", cwd=course)
    nbgrader("release_assignment", MODULE, "--force", cwd=course)
    home = tmp / "stock-home"
    home.mkdir()
    (home / "nbgrader_config.py").write_text(config)
    nbgrader("fetch_assignment", MODULE, cwd=home)
    answers = {**RIGHT, "r1": "我最喜欢行书。" * 20}
    (home / MODULE / "answers.json").write_text(
        json.dumps({"version": 1, "answers": answers}, ensure_ascii=False), "utf-8"
    )
    times = []
    for _ in range(runs):
        started = time.monotonic()
        nbgrader("submit", MODULE, cwd=home)
        nbgrader("collect", MODULE, "--update", cwd=course)
        nbgrader("autograde", MODULE, "--force", cwd=course)
        times.append(time.monotonic() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--stock-runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0, help="0: one per core")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yiyuan-bench-latency-"))
    hub = Hub(
        tmp / "hub",
        {"courses_dir": str(ROOT / "courses"), "grading": {"workers": args.workers}},
    )
    try:
        hub.cli("db", "upgrade")
        hub.cli("demo", "seed")
        hub.cli("courses", "publish", COURSE, "--actor", "admin")
        hub.start()
        database = Database(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
        learners = [Learner(hub, name, tmp / "homes") for name in LEARNERS]
        print(f"cpus: {os.cpu_count()}, workers: {args.workers or os.cpu_count()}")

        recorded, visible, ids = [], [], []
        for number in range(args.idle):
            learner = learners[number % len(learners)]
            started = time.monotonic()
            submission = learner.submit()
            while not learner.visible(submission):
                time.sleep(0.1)
            visible.append(time.monotonic() - started)
            ids.append(submission)
        recorded = recorded_latencies(database, ids, timeout=60)
        print(f"idle, recorded (submitted_at → graded event): {summary(recorded)}")
        print(f"idle, visible to the learner (POST → API shows the result): {summary(visible)}")

        started = time.monotonic()
        burst = [learners[n % len(learners)].submit() for n in range(args.burst)]
        posted = time.monotonic() - started
        latencies = recorded_latencies(database, burst, timeout=60 * 60)
        drained = time.monotonic() - started
        print(
            f"burst of {args.burst} (posted in {posted:.1f} s, all graded after "
            f"{drained:.1f} s): {summary(latencies)}"
        )
        database.dispose()
        hub.stop()

        stock = stock_pipeline(hub, tmp, args.stock_runs)
        print(f"stock nbgrader submit → collect → autograde, by hand at once: {summary(stock)}")
        print(
            f"ratio stock p50 / platform idle p50 (recorded): "
            f"{statistics.median(stock) / statistics.median(recorded):.1f}x"
        )
    finally:
        hub.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
