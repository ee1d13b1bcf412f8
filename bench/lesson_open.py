"""Benchmark: login → lesson usable in a real browser, for a learner's first lesson of the day
(a compiled lesson: a page from the yiyuan service, no Jupyter server); baseline in the same
run: a stock JupyterHub + JupyterLab start (a trainer, who keeps JupyterLab, server stopped)
on the same hub and machine.

"Usable" = ``body[data-yiyuan-ready='1']`` (lesson.js sets it once the widgets are drawn and
the answers are filled in); for JupyterLab, its menu bar. Each cold run is a fresh browser
context (empty cache, no cookie) that logs in through the login form with ``?next=`` the
lesson's link (what「开始学习」/「继续学习」open), or for the stock run ``?next=`` JupyterLab
(``/hub/user-redirect/lab``: the hub starts the server, its spawn page waits, JupyterLab
loads). The "reopen" line is the same learner opening the lesson again in the same browser
(logged in, scripts cached). One warm-up run of each is not counted.

    .venv/bin/python bench/lesson_open.py [--runs 20] [--record]
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402
from stats import record, summary  # noqa: E402

from hubtest import CHROMIUM_ARGS, Hub  # noqa: E402
from yiyuan.demo import DEMO_PASSWORD  # noqa: E402

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
LESSON = f"/services/yiyuan/lessons/{COURSE}/{MODULE}/"
LAB = "/hub/user-redirect/lab"
LEARNER, TRAINER = "wangfang", "zhouqing"


def stop_server(hub: Hub, token: str, user: str) -> None:
    headers = {"Authorization": f"token {token}"}
    requests.delete(f"{hub.url}/hub/api/users/{user}/server", headers=headers, timeout=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        model = requests.get(f"{hub.url}/hub/api/users/{user}", headers=headers, timeout=30)
        if not model.json().get("servers"):
            return
        time.sleep(0.3)
    raise SystemExit(f"the server of {user} did not stop")


def servers(hub: Hub, token: str, user: str) -> dict:
    headers = {"Authorization": f"token {token}"}
    return requests.get(f"{hub.url}/hub/api/users/{user}", headers=headers, timeout=30).json()[
        "servers"
    ]


def lesson_ready(page):
    return page.locator("body[data-yiyuan-ready='1']")


def lab_ready(page):
    return page.get_by_role("menuitem", name="文件")


def timed_login(browser, hub: Hub, user: str, next_url: str, ready, reopen: list | None = None):
    """Seconds from the login form's submit to ``ready``; with ``reopen``, the lesson is then
    opened again in the same context and that time appended to it."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login?next={next_url}")
    started = time.monotonic()
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    ready(page).wait_for(state="attached" if ready is lesson_ready else "visible", timeout=180_000)
    elapsed = time.monotonic() - started
    if reopen is not None:
        started = time.monotonic()
        page.goto(hub.url + next_url)
        ready(page).wait_for(state="attached", timeout=180_000)
        reopen.append(time.monotonic() - started)
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault(
        "YIYUAN_COMPILE_CACHE", str(Path(tempfile.gettempdir()) / "yiyuan-bench-compile-cache")
    )
    tmp = Path(tempfile.mkdtemp(prefix="yiyuan-bench-lesson-"))
    hub = Hub(tmp / "hub", {"courses_dir": str(ROOT / "courses")})
    try:
        hub.cli("db", "upgrade")
        hub.cli("demo", "seed")
        hub.cli("courses", "publish", COURSE, "--actor", "admin")
        hub.start()
        time.sleep(3)  # the services start after the hub answers
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(f"before the run: {load}", flush=True)
        tokens = {}
        for user in (LEARNER, TRAINER):
            browser = hub.browser()
            browser.login(user, DEMO_PASSWORD, allow_redirects=False)
            tokens[user] = browser.token()
        requests.post(
            f"{hub.url}/services/yiyuan/api/courses/{COURSE}/enrol",
            headers={"Authorization": f"token {tokens[LEARNER]}"},
            timeout=30,
        ).raise_for_status()

        results: dict[str, list[float]] = {"cold": [], "reopen": [], "stock": []}
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            # warm-up (OS caches, the service's first page): not counted
            timed_login(chromium, hub, LEARNER, LESSON, lesson_ready)
            timed_login(chromium, hub, TRAINER, LAB, lab_ready)
            # interleaved, so that a noisy neighbour hits both alike
            for _ in range(args.runs):
                results["cold"].append(
                    timed_login(chromium, hub, LEARNER, LESSON, lesson_ready, results["reopen"])
                )
                stop_server(hub, tokens[TRAINER], TRAINER)
                results["stock"].append(timed_login(chromium, hub, TRAINER, LAB, lab_ready))
            chromium.close()
        learner_servers = servers(hub, tokens[LEARNER], LEARNER)
        stock = statistics.median(results["stock"])
        lines = [
            f"- before the run: `{load}`",
            f"- learner, first open of the day (compiled page, no server) → lesson usable: "
            f"{summary(results['cold'])}",
            f"- learner, reopen in the same browser → lesson usable: {summary(results['reopen'])}",
            f"- stock: trainer, server stopped → JupyterLab ready: {summary(results['stock'])}",
            f"- ratio of medians, cold open / stock: "
            f"**{statistics.median(results['cold']) / stock:.2f}×** (aim ≤ 0.2×); "
            f"reopen / stock: {statistics.median(results['reopen']) / stock:.2f}×",
            f"- the learner's servers at the end (hub API): {learner_servers or 'none'}",
        ]
        print("\n".join(lines))
        if args.record:
            record("Cold lesson open vs stock JupyterLab start", lines)
    finally:
        hub.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
