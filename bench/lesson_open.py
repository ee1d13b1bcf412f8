"""Benchmark: login → lesson interactive, in a real browser, for a learner whose server is
stopped and for one whose server is running; baseline in the same run: a stock JupyterHub +
JupyterLab start (a trainer, who keeps JupyterLab) on the same hub and machine.

"Interactive" = the lesson's first quiz question (a widget rendered by Voila in the learner's
server) is visible; for JupyterLab, its menu bar. Each run is a fresh browser context that logs
in through the login form with ``?next=`` pointing at the lesson (what「继续学习」opens).

    .venv/bin/python bench/lesson_open.py [--runs 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402
from stats import summary  # noqa: E402

from hubtest import CHROMIUM_ARGS, Hub  # noqa: E402
from yiyuan.demo import DEMO_PASSWORD  # noqa: E402

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
LESSON = f"/hub/user-redirect/yiyuan/open/{COURSE}/{MODULE}"


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


def timed_login(browser, hub: Hub, user: str, next_url: str, ready) -> float:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login?next={next_url}")
    started = time.monotonic()
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    ready(page).wait_for(state="visible", timeout=180_000)
    elapsed = time.monotonic() - started
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yiyuan-bench-lesson-"))
    hub = Hub(tmp / "hub", {"courses_dir": str(ROOT / "courses")})
    try:
        hub.cli("db", "upgrade")
        hub.cli("demo", "seed")
        hub.cli("courses", "publish", COURSE, "--actor", "admin")
        hub.start()
        tokens = {}
        for user in ("wangfang", "zhouqing"):
            browser = hub.browser()
            browser.login(user, DEMO_PASSWORD, allow_redirects=False)
            tokens[user] = browser.token()
        requests.post(
            f"{hub.url}/services/yiyuan/api/courses/{COURSE}/enrol",
            headers={"Authorization": f"token {tokens['wangfang']}"},
            timeout=30,
        ).raise_for_status()

        def quiz(page):
            return page.get_by_text("秦始皇统一文字时推行的标准字体").first

        def lab(page):
            return page.get_by_role("menuitem", name="文件")

        results: dict[str, list[float]] = {"stopped": [], "running": [], "stock": []}
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            # warm-up (first kernel, first Voila render, OS caches): not counted
            timed_login(chromium, hub, "wangfang", LESSON, quiz)
            for _ in range(args.runs):
                stop_server(hub, tokens["wangfang"], "wangfang")
                results["stopped"].append(timed_login(chromium, hub, "wangfang", LESSON, quiz))
            for _ in range(args.runs):
                results["running"].append(timed_login(chromium, hub, "wangfang", LESSON, quiz))
            timed_login(chromium, hub, "zhouqing", "/hub/", lab)
            for _ in range(args.runs):
                stop_server(hub, tokens["zhouqing"], "zhouqing")
                results["stock"].append(timed_login(chromium, hub, "zhouqing", "/hub/", lab))
            chromium.close()
        print(f"learner, server stopped → lesson interactive: {summary(results['stopped'])}")
        print(f"learner, server running → lesson interactive: {summary(results['running'])}")
        print(f"stock: trainer, server stopped → JupyterLab ready: {summary(results['stock'])}")
        stock = statistics.median(results["stock"])
        print(
            f"ratio median stopped/stock: {statistics.median(results['stopped']) / stock:.2f}, "
            f"running/stock: {statistics.median(results['running']) / stock:.2f}"
        )
    finally:
        hub.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
