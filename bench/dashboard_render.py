"""Benchmark: the 总览 dashboard opened by 1, 5 and 10 viewers at once, with 20,000 members'
data, through the real platform (hub → OAuth → dashboards service → kernel → report layer),
against stock Voila on the same notebook and data in the same run.

    .venv/bin/python bench/dashboard_render.py [--members 20000] [--courses 50] [--runs 3]
        [--viewers 1,5,10] [--warm-kernels 2] [--clients browsers,http,mixed] [--record]

Each viewer is an administrator of their own (bench0001…, created here; all see everything,
as stock Voila's kernels bound to synadmin do) with an open hub session in their own Chromium
context, as when one clicks「统计报表」on the portal. A round opens the dashboard in every
viewer's page at the same moment and times, per page, from the navigation:

- **first table**: the participation table's caption (各协会参训情况) visible — ours draws it
  in the loading area before the kernel has run (``yiyuan.dashboards.previews``); stock
  Voila shows its page only once every cell has run and the widgets are drawn;
- **full page**: the same table drawn by the widgets in the rendered page (both);
- **first table painted**: when Chromium itself painted the first table, by the page's own
  Element Timing entry (``elementtiming="yiyuan-first-table"`` on the preview), from the
  navigation's start: what the viewer saw, without the seconds the bench's own polling of 10
  busy pages adds before it notices.

Pages are then closed (Voila's page sends its kernel's shutdown) and the machine left to
settle before the next round. Aim (issue 16): first table within 3 s (p95) at 10 viewers.

The browsers run on the same two cores as the service and its kernels, so the same rounds are
also run with plain HTTP clients (``--clients http``; one logged-in session per viewer, no
JavaScript) that time the bytes as they arrive: **first table** is the preview's
``<caption>`` in the stream (stock Voila has none: its table is widget state), **page served**
the end of the response (every cell has run). Each round also reports the CPU seconds used by
the bench's Chromium, by the platform (hub, proxy, services, kernels) and by stock Voila (its
server and kernels), against the two cores' capacity over the round.

``--clients mixed`` puts one Chromium viewer among n − 1 HTTP viewers opening the page at the
same moment: the server carries n views while only one browser shares its cores — what one
viewer on their own computer sees when nine colleagues open the dashboard with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import nbformat
import psutil
import requests
from sqlalchemy import update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import stats  # noqa: E402  (bench/stats.py: the script's own folder)

from hubtest import BIN, CHROMIUM_ARGS, Browser, Hub, free_port  # noqa: E402
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
#: what an HTTP client looks for: the table's caption as the service's preview writes it
CAPTION_BYTES = f"<caption>{CAPTION}</caption>".encode()
KERNEL_ID = re.compile(rb'"kernelId": "([0-9a-f-]+)"')


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


class CpuMeter:
    """CPU seconds (user + system) used by groups of processes between two calls: the
    processes alive at the end (one that ended during the round loses its last share; its
    parent's children times are left out, or a reaped kernel would count its whole life)."""

    def __init__(self, groups) -> None:
        self.groups = groups  # name → () -> iterable of pids
        self.start: dict[int, float] = {}
        self.started = 0.0
        self.used: dict[str, float] = {}

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            return None
        return times.user + times.system

    def begin(self) -> None:
        self.started = time.perf_counter()
        self.start = {}
        for pids in self.groups.values():
            for pid in pids():
                if (cpu := self._cpu(pid)) is not None:
                    self.start[pid] = cpu

    def end(self) -> dict[str, float]:
        """Read the meter (again: the last reading counts, in ``used``)."""
        used = {"wall": time.perf_counter() - self.started}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids():
                if (cpu := self._cpu(pid)) is not None:
                    total += cpu - self.start.get(pid, 0.0)
            used[name] = total
        self.used = used
        return used


def chromium_pids() -> list[int]:
    """The bench's own Chromium processes (Playwright's browser and its renderers)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                found.append(child.pid)
        except psutil.Error:
            pass
    return found


def tree_pids(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.Error:
        return []


def stream_page(session: requests.Session, url: str) -> tuple[float | None, float, bytes]:
    """GET ``url`` as a stream: seconds to the first table's caption (None: not in the page),
    seconds to the end of the response, and the page."""
    start = time.perf_counter()
    first = None
    page = b""
    with session.get(url, stream=True, timeout=TIMEOUT_MS / 1000) as response:
        response.raise_for_status()
        for chunk in response.iter_content(chunk_size=None):
            # the caption may straddle two chunks
            window = page[-len(CAPTION_BYTES) :] + chunk
            page += chunk
            if first is None and CAPTION_BYTES in window:
                first = time.perf_counter() - start
    return first, time.perf_counter() - start, page


def close_view(session: requests.Session, base: str, page: bytes) -> None:
    """What a closing page sends: its kernel's shutdown (a client without JavaScript never
    connects to its kernel, which would otherwise stay until the connect timeout, or for good
    in stock Voila)."""
    found = KERNEL_ID.search(page)
    if not found:
        return
    headers = {}
    xsrf = [cookie.value for cookie in session.cookies if cookie.name == "_xsrf"]
    if xsrf:
        headers["X-XSRFToken"] = xsrf[-1]
    session.post(f"{base}voila/api/shutdown/{found.group(1).decode()}", headers=headers, timeout=60)


async def http_round(sessions, url: str) -> tuple[list[tuple[float, float, float]], list[bytes]]:
    """Every session GETs the page at the same moment; (first table or nan, page served) and
    the pages."""
    # a thread per session: asyncio.to_thread's default pool has min(32, cores + 4) threads,
    # so on two cores only six of ten viewers would ask at once
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=max(1, len(sessions))) as pool:
        results = await asyncio.gather(
            *(loop.run_in_executor(pool, stream_page, session, url) for session in sessions)
        )
    timings = [
        (first if first is not None else float("nan"), end, float("nan"))
        for first, end, _ in results
    ]
    return timings, [page for _, _, page in results]


async def close_views(sessions, base: str, pages: list[bytes]) -> None:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=max(1, len(sessions))) as pool:
        await asyncio.gather(
            *(
                loop.run_in_executor(pool, close_view, session, base, page)
                for session, page in zip(sessions, pages, strict=False)
            )
        )


def http_sessions(hub: Hub, viewers: list[str]) -> list[requests.Session]:
    """One hub session per viewer, signed in to the dashboards service (hub OAuth done)."""
    sessions = []
    for username in viewers:
        browser = Browser(hub.url)
        browser.login(username, SYNTHETIC_PASSWORD, allow_redirects=False)
        browser.get("/services/dashboards/").raise_for_status()
        sessions.append(browser.session)
    return sessions


#: the browser's own paint time (ms from the navigation's start) of the preview's first table
PAINTED = """() => new Promise((resolve) => {
  new PerformanceObserver((list, observer) => {
    const mine = list.getEntries().filter((e) => e.identifier === "yiyuan-first-table");
    if (mine.length) { observer.disconnect(); resolve(mine[0].renderTime || mine[0].loadTime); }
  }).observe({ type: "element", buffered: true });
  setTimeout(() => resolve(null), 2000);
})"""


FIRST_BYTE = "() => performance.getEntriesByType('navigation')[0].responseStart"


async def open_one(page, url: str) -> tuple[float, float, float]:
    start = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    await page.locator(FIRST, has_text=CAPTION).first.wait_for(timeout=TIMEOUT_MS)
    first = time.perf_counter() - start
    await page.locator(FULL, has_text=CAPTION).first.wait_for(timeout=TIMEOUT_MS)
    full = time.perf_counter() - start
    painted = await page.evaluate(PAINTED)
    # when the page's first byte came (Navigation Timing): a late page is late at the server or
    # the proxy if this is late too, in the browser if only its paint is
    first_byte = await page.evaluate(FIRST_BYTE)
    print(f"  page: first byte {first_byte / 1000:.2f} s, first table painted "
          f"{(painted or float('nan')) / 1000:.2f} s", flush=True)  # fmt: skip
    return first, full, painted / 1000 if painted else float("nan")


async def one_round(
    contexts, url: str, meter: CpuMeter | None = None
) -> list[tuple[float, float, float]]:
    pages = [await context.new_page() for context in contexts]
    try:
        timings = list(await asyncio.gather(*(open_one(page, url) for page in pages)))
        if meter is not None:
            meter.end()  # before the pages close and their kernels go
        return timings
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


async def measure(
    hub: Hub, stock, stock_url: str, viewers: list[str], counts: list[int], runs: int, clients
):
    from playwright.async_api import async_playwright

    results: dict[tuple[str, str, int], list[tuple[float, float, float]]] = {}
    cpu: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    meter = CpuMeter(
        {
            "chromium": chromium_pids,
            # stock Voila runs in a folder of the hub's: not the platform's
            "platform": lambda: list(set(hub.processes()) - set(tree_pids(stock.pid))),
            "stock": lambda: tree_pids(stock.pid),
        }
    )
    dashboard_path = f"/services/dashboards/voila/render/{quote(NOTEBOOK)}"
    wanted_http = "http" in clients or "mixed" in clients
    ours_http = http_sessions(hub, viewers) if wanted_http else []
    theirs_http = [requests.Session() for _ in viewers]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        options = {"locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}
        ours = [await browser.new_context(**options) for _ in viewers]
        for context, username in zip(ours, viewers, strict=True):
            await login(context, hub.url, username)
        theirs = [await browser.new_context(**options) for _ in viewers]
        dashboard = hub.url + dashboard_path
        ours_base = f"{hub.url}/services/dashboards/"

        async def browsers(side: str, n: int) -> list[tuple[float, float, float]]:
            contexts, url = (ours, dashboard) if side == "yiyuan" else (theirs, stock_url)
            meter.begin()
            timings = await one_round(contexts[:n], url, meter)
            return timings

        async def http(side: str, n: int) -> list[tuple[float, float, float]]:
            sessions, url, base = (
                (ours_http, dashboard, ours_base)
                if side == "yiyuan"
                else (theirs_http, stock_url, stock_url)
            )
            meter.begin()
            timings, pages = await http_round(sessions[:n], url)
            meter.end()  # before the kernels are shut down: theirs counts too
            await close_views(sessions[:n], base, pages)
            return timings

        async def mixed(side: str, n: int) -> list[tuple[float, float, float]]:
            """One browser among n - 1 HTTP viewers: the browser's timings only."""
            contexts, url = (ours, dashboard) if side == "yiyuan" else (theirs, stock_url)
            sessions, base = (
                (ours_http, ours_base) if side == "yiyuan" else (theirs_http, stock_url)
            )
            meter.begin()
            page = await contexts[0].new_page()
            try:
                timing, (_, pages) = await asyncio.gather(
                    open_one(page, url), http_round(sessions[1:n], url)
                )
                meter.end()
            finally:
                await page.close(run_before_unload=True)
            await close_views(sessions[1:n], base, pages)
            return [timing]

        kinds = {"browsers": browsers, "http": http, "mixed": mixed}
        # warm-up: OAuth, imports, OS caches, on both sides
        await one_round(ours[:1], dashboard)
        await one_round(theirs[:1], stock_url)
        await asyncio.sleep(SETTLE)
        for _ in range(runs):
            for n in counts:
                for kind in clients:
                    for side in ("yiyuan", "stock"):
                        timings = await kinds[kind](side, n)
                        used = meter.used
                        results.setdefault((kind, side, n), []).extend(timings)
                        cpu.setdefault((kind, side, n), []).append(used)
                        print(
                            kind,
                            side,
                            n,
                            " ".join(f"{a:.1f}/{b:.1f}/{c:.1f}" for a, b, c in timings),
                            "| CPU-s " + " ".join(f"{k} {v:.1f}" for k, v in used.items()),
                            flush=True,
                        )
                        await asyncio.sleep(SETTLE)
        await browser.close()
    return results, cpu


def pair(values: list[float]) -> str:
    """p50 / p95 of the values that were measured (nan: not in the page)."""
    values = [v for v in values if v == v]
    if not values:
        return "—"
    return f"{stats.percentile(values, 0.5):.2f} / {stats.percentile(values, 0.95):.2f} s"


def p95(values: list[float]) -> float:
    return stats.percentile([v for v in values if v == v], 0.95)


def table(results, counts: list[int], kind: str = "browsers") -> list[str]:
    lines = [
        "| viewers at once | yiyuan first table p50 / p95 | first table painted (Chromium's "
        "Element Timing) p50 / p95 | yiyuan full page p50 / p95 "
        "| stock Voila p50 / p95 | ratio first table p95 (yiyuan / stock) "
        "| ratio full page p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in counts:
        ours, theirs = results[(kind, "yiyuan", n)], results[(kind, "stock", n)]
        first = [a for a, _, _ in ours]
        full = [b for _, b, _ in ours]
        painted = [c for _, _, c in ours]
        stock = [b for _, b, _ in theirs]
        lines.append(
            f"| {n} (n={len(first)}) | {pair(first)} | {pair(painted)} | {pair(full)} "
            f"| {pair(stock)} | {p95(first) / p95(stock):.2f} | {p95(full) / p95(stock):.2f} |"
        )
    return lines


def http_table(results, counts: list[int]) -> list[str]:
    lines = [
        "| viewers at once | yiyuan first table p50 / p95 | yiyuan page served p50 / p95 "
        "| stock page served p50 / p95 | ratio first table p95 (yiyuan / stock served) "
        "| ratio page served p95 |",
        "|---|---|---|---|---|---|",
    ]
    for n in counts:
        ours, theirs = results[("http", "yiyuan", n)], results[("http", "stock", n)]
        first = [a for a, _, _ in ours]
        served = [b for _, b, _ in ours]
        stock = [b for _, b, _ in theirs]
        lines.append(
            f"| {n} (n={len(first)}) | {pair(first)} | {pair(served)} | {pair(stock)} "
            f"| {p95(first) / p95(stock):.2f} | {p95(served) / p95(stock):.2f} |"
        )
    return lines


def cpu_table(cpu, counts: list[int], clients: list[str]) -> list[str]:
    """Mean CPU seconds per round, and the share of the two cores' capacity over the round."""
    cores = psutil.cpu_count() or 1
    lines = [
        f"| clients | side | viewers | round (wall) | Chromium CPU-s | platform CPU-s "
        f"| stock Voila CPU-s | all three / capacity ({cores} cores × wall) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in clients:
        for n in counts:
            for side in ("yiyuan", "stock"):
                rounds = cpu[(kind, side, n)]

                def mean(key: str, rounds=rounds) -> float:
                    return sum(r[key] for r in rounds) / len(rounds)

                busy = mean("chromium") + mean("platform") + mean("stock")
                lines.append(
                    f"| {kind} | {side} | {n} | {mean('wall'):.1f} s | {mean('chromium'):.1f} "
                    f"| {mean('platform'):.1f} | {mean('stock'):.1f} "
                    f"| {busy / (cores * mean('wall')):.0%} |"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--viewers", default="1,5,10")
    parser.add_argument("--warm-kernels", type=int, default=2)
    parser.add_argument(
        "--clients",
        default="browsers,http",
        help="browsers (Chromium), http (no JavaScript), mixed (one Chromium among HTTP viewers)",
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    counts = [int(n) for n in args.viewers.split(",")]
    kinds = ("browsers", "http", "mixed")
    clients = [kind for kind in kinds if kind in args.clients.split(",")]
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
            results, cpu = asyncio.run(
                measure(hub, stock, stock_url, viewers, counts, args.runs, clients)
            )
        finally:
            stock.terminate()
            stock.wait(10)
            hub.stop()

    lines = [
        f"data: {generated['members']} members, {generated['module_results']} module results "
        f"(SQLite, generated in {elapsed:.0f} s); dashboards.warm_kernels = {args.warm_kernels}; "
        f"{args.runs} rounds per row, every viewer's time counted; machine: "
        f"{psutil.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end",
        "",
    ]
    if "browsers" in clients:
        lines += [
            "Chromium pages (one browser, a context per viewer):",
            "",
            *table(results, counts),
        ]
        lines += [""]
    if "http" in clients:
        lines += ["HTTP clients (no browser):", "", *http_table(results, counts), ""]
    if "mixed" in clients:
        lines += [
            "One Chromium viewer among HTTP viewers (the browser's times):",
            "",
            *table(results, counts, "mixed"),
            "",
        ]
    lines += ["CPU used per round (mean):", "", *cpu_table(cpu, counts, clients)]
    print("\n".join(lines))
    if args.record:
        stats.record("Dashboard first table, viewers at once, 20k members", lines)


if __name__ == "__main__":
    main()
