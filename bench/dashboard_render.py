"""Benchmark: first render of the 总览 dashboard with 20,000 members' data, through the real
platform (hub → OAuth → dashboards service → prelaunch hook → kernel → report layer).

    .venv/bin/python bench/dashboard_render.py [--members 20000] [--courses 50] [--runs 5]
        [--record]

"Rendered" = the participation table's caption is visible in headless Chromium, timed from the
navigation of a logged-in administrator (the hub session already exists, as when one clicks
「统计报表」on the portal). Baseline in the same run, on the same data: stock Voila (its
default template, no hub, no authentication) rendering the same notebook with the same
viewer bound. Aim (issue 7): ≤ 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import nbformat
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import stats  # noqa: E402  (bench/stats.py: the script's own folder)

from hubtest import BIN, CHROMIUM_ARGS, Hub, free_port  # noqa: E402
from yiyuan.dashboards.server import binding_cell  # noqa: E402
from yiyuan.db import Database  # noqa: E402
from yiyuan.synthetic import SYNTHETIC_PASSWORD, generate  # noqa: E402

NOTEBOOK = "总览.ipynb"
CAPTION = "table caption"
TIMEOUT_MS = 120_000


def first_render(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.locator(CAPTION, has_text="各协会参训情况").first.wait_for(timeout=TIMEOUT_MS)
    return time.perf_counter() - start


def stock_voila(folder: Path, db_url: str, data_dir: Path, viewer: str) -> tuple:
    """Stock Voila on a copy of the notebook with the viewer bound as our hook would."""
    notebook = nbformat.read(ROOT / "dashboards" / NOTEBOOK, as_version=4)
    notebook.cells.insert(0, binding_cell(viewer))
    nbformat.write(notebook, folder / NOTEBOOK)
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "YIYUAN_DB_URL": db_url,
        "YIYUAN_DATA_DIR": str(data_dir),
        "LANG": "C.UTF-8",
        "HOME": str(folder),
    }
    process = subprocess.Popen(
        [str(BIN / "voila"), "--no-browser", f"--port={port}", str(folder / NOTEBOOK)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "api/status", timeout=2).status_code < 500:
                break
        except requests.ConnectionError:
            time.sleep(0.3)
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hub = Hub(
            workdir,
            {"dashboards": {"port": free_port(), "dir": str(ROOT / "dashboards")}},
        )
        hub.cli("db", "upgrade")
        db_url = f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}"
        database = Database(db_url)
        start = time.perf_counter()
        counts = generate(database, members=args.members, courses=args.courses)
        generated = time.perf_counter() - start
        database.dispose()
        hub.start()
        stock_dir = workdir / "stock"
        stock_dir.mkdir()
        stock, stock_url = stock_voila(stock_dir, db_url, hub.data_dir, "synadmin")
        ours, theirs = [], []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
                )
                context = browser.new_context(
                    locale="zh-CN", viewport={"width": 1366, "height": 900}
                )
                page = context.new_page()
                page.goto(f"{hub.url}/hub/login?next=/services/yiyuan/")
                page.get_by_label("用户名").fill("synadmin")
                page.get_by_label("密码", exact=True).fill(SYNTHETIC_PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url("**/services/yiyuan/**")
                dashboard = f"{hub.url}/services/dashboards/voila/render/{quote(NOTEBOOK)}"
                first_render(page, dashboard)  # warm-up: OAuth, imports, OS caches
                first_render(page, stock_url)
                for _ in range(args.runs):
                    ours.append(first_render(page, dashboard))
                    theirs.append(first_render(page, stock_url))
                browser.close()
        finally:
            stock.terminate()
            stock.wait(10)
            hub.stop()

    lines = [
        f"data: {counts['members']} members, {counts['module_results']} module results, "
        f"{counts['completion_events']} events (SQLite, generated in {generated:.0f} s)",
        "",
        "| scenario | n | median | best | worst |",
        "|---|---|---|---|---|",
        f"| yiyuan dashboards service, 总览 | {len(ours)} | {statistics.median(ours):.2f} s "
        f"| {min(ours):.2f} s | {max(ours):.2f} s |",
        f"| stock Voila, same notebook and data | {len(theirs)} | "
        f"{statistics.median(theirs):.2f} s | {min(theirs):.2f} s | {max(theirs):.2f} s |",
        "",
        f"ratio yiyuan / stock (medians): {statistics.median(ours) / statistics.median(theirs):.2f}",
    ]
    print("\n".join(lines))
    if args.record:
        stats.record("Dashboard first render, 20k members", lines)


if __name__ == "__main__":
    main()
