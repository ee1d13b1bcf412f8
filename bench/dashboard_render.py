"""Benchmark: the 总览 dashboard opened by 1, 5 and 10 viewers at once, with 20,000 members'
data, through the real platform (hub → OAuth → dashboards service → kernel → report layer),
against stock Voila on the same notebook and data in the same run.

    .venv/bin/python bench/dashboard_render.py [--members 20000] [--courses 50] [--runs 3]
        [--viewers 1,5,10] [--warm-kernels 2] [--record]

Each viewer is an administrator of their own (bench0001…, created here; all see everything,
as stock Voila's kernels bound to synadmin do) with an open hub session in their own Chromium
context, as when one clicks「统计报表」on the portal. A round opens the dashboard in every
viewer's page at the same moment and times, per page, from the navigation:

- **first table**: the participation table's caption (各协会参训情况) visible — ours draws it
  in the loading area before the kernel has run (``yiyuan.dashboards.previews``); stock
  Voila shows its page only once every cell has run and the widgets are drawn;
- **full page**: the same table drawn by the widgets in the rendered page (both).

Pages are then closed (Voila's page sends its kernel's shutdown) and the machine left to
settle before the next round. Aim (issue 16): first table within 3 s (p95) at 10 viewers.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import nbformat
import requests
from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import stats  # noqa: E402  (bench/stats.py: the script's own folder)

from hubtest import BIN, CHROMIUM_ARGS, Hub, free_port  # noqa: E402
from yiyuan.dashboards.server import binding_cell  # noqa: E402
from yiyuan.db import Database  # noqa: E402
from yiyuan.models import Account  # noqa: E402
from yiyuan.synthetic import SYNTHETIC_PASSWORD, generate  # noqa: E402

NOTEBOOK = "总览.ipynb"
CAPTION = "各协会参训情况"
FIRST = "table caption"
FULL = "#rendered_cells table caption"
TIMEOUT_MS = 180_000
SETTLE = 20  # seconds between rounds: kernels shut down, warm ones refilled


def stock_voila(folder: Path, db_url: str, data_dir: Path, viewer: str, notebook: str) -> tuple:
    """Stock Voila (default template, no hub, no authentication, no culling) on a copy of the
    notebook with the viewer bound as our hook would."""
    source = nbformat.read(ROOT / "dashboards" / notebook, as_version=4)
    source.cells.insert(0, binding_cell(viewer))
    nbformat.write(source, folder / notebook)
    port = free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "YIYUAN_DB_URL": db_url,
        "YIYUAN_DATA_DIR": str(data_dir),
        "LANG": "C.UTF-8",
        "HOME": str(folder),
    }
    process = subprocess.Popen(
        [str(BIN / "voila"), "--no-browser", f"--port={port}", str(folder / notebook)],
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


async def open_one(page, url: str) -> tuple[float, float]:
    start = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    await page.locator(FIRST, has_text=CAPTION).first.wait_for(timeout=TIMEOUT_MS)
    first = time.perf_counter() - start
    await page.locator(FULL, has_text=CAPTION).first.wait_for(timeout=TIMEOUT_MS)
    return first, time.perf_counter() - start


async def one_round(contexts, url: str) -> list[tuple[float, float]]:
    pages = [await context.new_page() for context in contexts]
    try:
        return list(await asyncio.gather(*(open_one(page, url) for page in pages)))
    finally:
        for page in pages:
            await page.close(run_before_unload=True)


async def login(context, hub_url: str, username: str) -> None:
    page = await context.new_page()
    await page.goto(f"{hub_url}/hub/login?next=/services/dashboards/")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(SYNTHETIC_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/services/dashboards/**")
    await page.close()


async def measure(hub: Hub, stock_url: str, viewers: list[str], counts: list[int], runs: int):
    from playwright.async_api import async_playwright

    results: dict[tuple[str, int], list[tuple[float, float]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        options = {"locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}
        ours = [await browser.new_context(**options) for _ in viewers]
        for context, username in zip(ours, viewers, strict=True):
            await login(context, hub.url, username)
        theirs = [await browser.new_context(**options) for _ in viewers]
        dashboard = f"{hub.url}/services/dashboards/voila/render/{quote(NOTEBOOK)}"
        # warm-up: OAuth, imports, OS caches, on both sides
        await one_round(ours[:1], dashboard)
        await one_round(theirs[:1], stock_url)
        await asyncio.sleep(SETTLE)
        for _ in range(runs):
            for n in counts:
                for side, contexts, url in (
                    ("yiyuan", ours, dashboard),
                    ("stock", theirs, stock_url),
                ):
                    timings = await one_round(contexts[:n], url)
                    results.setdefault((side, n), []).extend(timings)
                    print(side, n, " ".join(f"{a:.1f}/{b:.1f}" for a, b in timings), flush=True)
                    await asyncio.sleep(SETTLE)
        await browser.close()
    return results


def table(results, counts: list[int]) -> list[str]:
    lines = [
        "| viewers at once | yiyuan first table p50 / p95 | yiyuan full page p50 / p95 "
        "| stock Voila p50 / p95 | ratio first table p95 (yiyuan / stock) "
        "| ratio full page p95 |",
        "|---|---|---|---|---|---|",
    ]
    for n in counts:
        ours, theirs = results[("yiyuan", n)], results[("stock", n)]
        first = [a for a, _ in ours]
        full = [b for _, b in ours]
        stock = [b for _, b in theirs]

        def pair(values: list[float]) -> str:
            return f"{stats.percentile(values, 0.5):.2f} / {stats.percentile(values, 0.95):.2f} s"

        lines.append(
            f"| {n} (n={len(first)}) | {pair(first)} | {pair(full)} | {pair(stock)} "
            f"| {stats.percentile(first, 0.95) / stats.percentile(stock, 0.95):.2f} "
            f"| {stats.percentile(full, 0.95) / stats.percentile(stock, 0.95):.2f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--viewers", default="1,5,10")
    parser.add_argument("--warm-kernels", type=int, default=2)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.viewers.split(",")]
    viewers = [f"bench{i:04d}" for i in range(1, max(counts) + 1)]

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hub = Hub(
            workdir,
            {
                "dashboards": {
                    "enabled": True,
                    "port": free_port(),
                    "dir": str(ROOT / "dashboards"),
                    "warm_kernels": args.warm_kernels,
                    "max_kernels": 2 * max(counts) + args.warm_kernels,
                }
            },
        )
        hub.cli("db", "upgrade")
        db_url = f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}"
        database = Database(db_url)
        start = time.perf_counter()
        generated = generate(database, members=args.members, courses=args.courses)
        elapsed = time.perf_counter() - start
        database.dispose()
        for username in viewers:
            hub.cli(
                "users", "create", username, "--name", f"测试管理员{username[-2:]}",
                "--role", "administrator", "--password-stdin",
                stdin=SYNTHETIC_PASSWORD + "\n",
            )  # fmt: skip
        database = Database(db_url)
        with database.session() as session:  # as synthetic accounts: no forced change
            session.execute(
                update(Account)
                .where(Account.username.in_(viewers))
                .values(must_change_password=False)
            )
        database.dispose()
        hub.start()
        stock_dir = workdir / "stock"
        stock_dir.mkdir()
        stock, stock_url = stock_voila(stock_dir, db_url, hub.data_dir, "synadmin", NOTEBOOK)
        try:
            results = asyncio.run(measure(hub, stock_url, viewers, counts, args.runs))
        finally:
            stock.terminate()
            stock.wait(10)
            hub.stop()

    lines = [
        f"data: {generated['members']} members, {generated['module_results']} module results "
        f"(SQLite, generated in {elapsed:.0f} s); dashboards.warm_kernels = {args.warm_kernels}; "
        f"{args.runs} rounds per row, every viewer's time counted",
        "",
        *table(results, counts),
    ]
    print("\n".join(lines))
    if args.record:
        stats.record("Dashboard first table, viewers at once, 20k members", lines)


if __name__ == "__main__":
    main()
