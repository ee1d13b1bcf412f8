"""Benchmark: N learners studying a compiled lesson at once, and bursts of learners arriving
together; each scenario on a fresh real hub (the project's jupyterhub_config.py, the yiyuan
service, the grading pool) on this machine.

Load (``--learners 100 300 1000``): N learners arrive evenly over ``--ramp`` seconds (0.3 s ×
N by default). Each logs in through the hub's login form (lands on「我的学习」, the service's
OAuth included), opens the compiled lesson (the page, then its static files once, as a browser
with an empty cache), then studies for ``--study`` seconds (ramp + 20 s by default, so that all
N study at once at the end of the ramp) saving a changed answer every ``--save-every`` seconds
(± 30 %, a PUT, as the page's debounce does), saves all its answers, checks, submits and polls
the result every second as the page does (for ``--poll-for`` s; the page's own limit is 180 s). ``--browsers`` of the N (5 by default) are real
headless Chromium learners: their "usable" is ``body[data-yiyuan-ready='1']`` after
``page.goto`` of the lesson; the HTTP learners' is the page and its scripts received.

Burst (``--burst 10 25 50``): N learners arrive within 2 s: log in with ``?next=`` the lesson
(the link「继续学习」opens) → first question usable → all answers → submit → graded; p95 to
the first question is the issue's figure.

Printed per scenario: p50/p95 login, lesson usable, save latency, submissions graded within
the run, failures (with the request and the answer), the platform's RSS (every process under
the hub's work dir: hub, proxy, services, grading workers and kernels; peak and at the end) and
the service's own request times from its access log (the handler that costs).

    .venv/bin/python bench/load.py --learners 100 300 1000
    .venv/bin/python bench/load.py --burst 10 25 50

Learners are made with the platform's own tools: ``yiyuan demo generate`` (synthetic accounts,
one shared password hash) and a cohort (``yiyuan cohorts create`` / ``cohorts add -``) that
enrols them in the course. The login throttle counts failures only (per account and per
address, ``auth`` settings); the bench's hub config raises ``auth.address_max_failures`` so
that a stray failure from 127.0.0.1 cannot block every learner at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
from yarl import URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from stats import percentile, record  # noqa: E402

from hubtest import CHROMIUM_ARGS, Hub, processes_under  # noqa: E402

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
SERVICE = "/services/yiyuan/"
PAGE = f"{SERVICE}lessons/{COURSE}/{MODULE}/"
API = f"{SERVICE}api/lessons/{COURSE}/{MODULE}/"
COHORT = "bench"
#: the answers of the benchmark's lesson (as tests/test_lessons_compiled.py gives them)
GOOD = {
    "q1": "小篆",
    "q2": False,
    "q3": ["章草", "今草", "狂草"],
    "q4": "隶变",
    "q5": "柳公权",
    "r1": "我最喜欢行书，它既有楷书的法度，又有草书的流动。" * 5,
    "s1": 4,
}
BEFORE_BURST = {  # issue 17, measured before compiled lessons (servers + Voila per learner)
    10: "p50 35 s",
    25: "p50 72 s / p95 85 s",
    50: "p50 122 s, 6 of 50 failed",
}


def answer_for(question: dict, index: int):
    """A valid answer: the right one where the bench knows it, else one that fits."""
    good = GOOD.get(question["id"])
    values = question.get("values") or []
    kind = question["type"]
    if kind == "MultipleChoice":
        return good if good and all(v in values for v in good) else values[:2]
    if values:
        return good if good in values else values[index % len(values)]
    if kind == "Reflection":
        if good and len(good) >= (question.get("min_length") or 0):
            return good
        return "书" * ((question.get("min_length") or 0) + 10)
    return good if isinstance(good, str) else "隶变"


# -- the platform ------------------------------------------------------------------------


def make_platform(workdir: Path, learners: int) -> tuple[Hub, list[str], str]:
    """A hub with the course published and ``learners`` synthetic learners in a cohort of the
    course; their usernames and password."""
    from yiyuan.synthetic import SYNTHETIC_PASSWORD

    settings = {
        "courses_dir": str(ROOT / "courses"),
        # the platform's default: one grading worker per core (hubtest sets 1 for the suite)
        "grading": {"workers": 0},
        # the throttle counts failed logins only; 1,000 learners share 127.0.0.1
        "auth": {"address_max_failures": 1_000_000},
    }
    hub = Hub(workdir, settings)
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli(
        "demo", "generate", "--members", str(learners), "--courses", "1",
        "--modules-per-course", "1", "--cohorts", "0", "--force",
    )  # fmt: skip
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.cli(
        "cohorts", "create", COHORT, "--name", "压测班", "--starts", "2026-01-01",
        "--ends", "2030-12-31", "--course", COURSE, "--actor", "admin",
    )  # fmt: skip
    names = [f"syn{i:05d}" for i in range(1, learners + 1)]
    hub.cli("cohorts", "add", COHORT, "-", "--actor", "admin", stdin="\n".join(names))
    return hub, names, SYNTHETIC_PASSWORD


# -- memory and request times ------------------------------------------------------------


def rss_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def role_of(command: str) -> str:
    for needle, role in (
        ("yiyuan.lifecycle", "service launchers"),
        ("multiprocessing", "grading workers"),
        ("configurable-http-proxy", "proxy"),
        ("yiyuan service run", "yiyuan service"),
        ("yiyuan grading run", "grading pool"),
        ("ipykernel", "grading kernels"),
        ("members sync", "roster sync"),
        ("jupyterhub_idle_culler", "culler"),
        ("jupyterhub -f", "hub"),
        ("bwrap", "grading kernels"),
    ):
        if needle in command:
            return role
    return " ".join(Path(word).name for word in command.split()[:3])


class Memory:
    """Samples the platform's RSS (every process under the hub's work dir) every 2 s."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.peak = 0
        self.peak_roles: dict[str, int] = {}
        self.last = 0
        self.last_roles: dict[str, int] = {}
        self.running = True

    def sample(self) -> int:
        roles: dict[str, int] = defaultdict(int)
        for pid, command in processes_under(self.hub.workdir).items():
            roles[role_of(command)] += rss_of(pid)
        total = sum(roles.values())
        self.last, self.last_roles = total, dict(roles)
        if total > self.peak:
            self.peak, self.peak_roles = total, dict(roles)
        return total

    async def run(self) -> None:
        while self.running:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(2)


def mb(value: int) -> str:
    return f"{value / 2**20:,.0f} MB"


#: tornado's access log line, as the hub's log file holds the service's: "200 PUT /services/…
#: (127.0.0.1) 12.34ms"
ACCESS = re.compile(r"\b(\d{3}) (GET|PUT|POST) (/services/yiyuan/\S*) \([^)]*\) ([\d.]+)ms")


HUB_LOGIN = re.compile(r"302 POST /hub/login\S* -> \S+ \([^)]*\) ([\d.]+)ms")


def service_times(log_file: Path, offset: int) -> dict[str, list[float]]:
    """Server-side request times (s) of the yiyuan service from its access log lines written
    after ``offset``, by kind of request."""
    times: dict[str, list[float]] = defaultdict(list)
    with log_file.open("rb") as log:
        log.seek(offset)
        for line in log:
            text = line.decode("utf-8", "replace")
            hub = HUB_LOGIN.search(text)
            if hub:  # the hub's own time for a login (argon2 check, first-login user and groups)
                times["hub: POST /hub/login"].append(float(hub.group(1)) / 1000)
                continue
            match = ACCESS.search(text)
            if not match:
                continue
            _status, method, path, ms = match.groups()
            path = path.split("?")[0]
            if "/static/" in path:
                kind = "static"
            elif "/result/" in path:
                kind = "result"
            elif "oauth_callback" in path:
                kind = "oauth_callback"
            elif path.startswith(PAGE):
                kind = "lesson page"
            else:
                kind = path.removeprefix(SERVICE).split("/lessons/")[0] or "portal"
                kind = path.rsplit("/", 1)[-1] or kind
            times[f"{method} {kind}"].append(float(ms) / 1000)
    return times


# -- learners --------------------------------------------------------------------------


@dataclass
class Figures:
    login: list[float] = field(default_factory=list)
    usable: list[float] = field(default_factory=list)
    usable_browser: list[float] = field(default_factory=list)
    first_question: list[float] = field(default_factory=list)  # burst: arrival → usable
    saves: list[float] = field(default_factory=list)
    save_errors: int = 0
    submitted: int = 0
    graded: int = 0
    graded_times: list[float] = field(default_factory=list)  # submit → final result
    arrival_to_graded: list[float] = field(default_factory=list)  # burst
    not_final: int = 0
    first_submit: float = 0.0
    unfinished: int = 0
    last_graded: float = 0.0
    failures: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Failed(Exception):
    pass


def lesson_data(html: str) -> dict:
    match = re.search(
        r'<script id="yiyuan-lesson-data" type="application/json">(.*?)</script>', html, re.S
    )
    if not match:
        raise Failed("the lesson page has no yiyuan-lesson-data")
    return json.loads(match.group(1).replace("<\\/", "</"))


STATIC = re.compile(r'(?:src|href)="(/services/yiyuan/static/[^"]+)"')


class HttpLearner:
    """An HTTP client doing what the page does, with a cookie jar of its own."""

    def __init__(self, base: str, connector: aiohttp.TCPConnector) -> None:
        self.base = base
        self.step = ""
        self.jar = aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1
        self.session = aiohttp.ClientSession(
            base,
            cookie_jar=self.jar,
            connector=connector,
            connector_owner=False,
            timeout=aiohttp.ClientTimeout(total=300),
            headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )

    def cookie(self, name: str, path: str) -> str:
        morsel = self.jar.filter_cookies(URL(self.base + path)).get(name)
        return morsel.value if morsel else ""

    async def login(self, username: str, password: str, next_url: str) -> str:
        self.step = "GET /hub/login"
        async with self.session.get("/hub/login") as response:
            await response.read()
        form = {"username": username, "password": password, "_xsrf": self.cookie("_xsrf", "/hub/")}
        self.step = f"POST /hub/login?next={next_url} (and its redirects)"
        async with self.session.post(f"/hub/login?next={quote(next_url)}", data=form) as response:
            text = await response.text()
            if response.status != 200 or response.url.path != next_url:
                raise Failed(
                    f"login {username}: {response.status} at {response.url.path}: {text[:200]!r}"
                )
            return text

    async def statics(self, html: str) -> None:
        """The page's scripts and style, fetched once (a browser's empty cache), 6 at a time."""
        paths = list(dict.fromkeys(STATIC.findall(html)))

        async def one(path: str) -> None:
            self.step = f"GET {path}"
            async with self.session.get(path) as response:
                async for _ in response.content.iter_chunked(1 << 16):
                    pass
                if response.status != 200:
                    raise Failed(f"GET {path}: {response.status}")

        await asyncio.gather(*(one(p) for p in paths))

    async def open_lesson(self) -> dict:
        self.step = f"GET {PAGE} (and its redirects)"
        async with self.session.get(PAGE) as response:
            html = await response.text()
            if response.status != 200:
                raise Failed(f"GET {PAGE}: {response.status}: {html[:200]!r}")
        await self.statics(html)
        return lesson_data(html)

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"X-XSRFToken": self.cookie("_xsrf", SERVICE)}
        self.step = f"{method} {API}{path}"
        async with self.session.request(method, API + path, json=body, headers=headers) as r:
            try:
                data = await r.json(content_type=None)
            except ValueError:
                data = {"raw": (await r.text())[:200]}
            return r.status, data

    async def close(self) -> None:
        await self.session.close()


class BrowserLearner:
    """A real headless Chromium context; API calls go through the page's own cookies."""

    def __init__(self, base: str, browser) -> None:
        self.base = base
        self.browser = browser

    async def start(self) -> None:
        self.context = await self.browser.new_context(
            locale="zh-CN", viewport={"width": 1280, "height": 800}
        )
        self.context.set_default_timeout(120_000)  # a learner gives up after two minutes
        self.page = await self.context.new_page()

    async def login(self, username: str, password: str, next_url: str) -> None:
        page = self.page
        await page.goto(f"{self.base}/hub/login?next={quote(next_url)}")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码", exact=True).fill(password)
        await page.get_by_role("button", name="登录").click()

    async def ready(self) -> dict:
        await self.page.locator("body[data-yiyuan-ready='1']").wait_for(timeout=300_000)
        return lesson_data(await self.page.content())

    async def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        cookies = await self.context.cookies(self.base + SERVICE)
        xsrf = next((c["value"] for c in cookies if c["name"] == "_xsrf"), "")
        response = await self.page.request.fetch(
            self.base + API + path,
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"},
            timeout=300_000,
        )
        try:
            data = await response.json()
        except Exception:
            data = {"raw": (await response.text())[:200]}
        return response.status, data

    async def close(self) -> None:
        await self.context.close()


async def submit_and_follow(
    client, fig: Figures, name: str, arrived: float, poll_for: float
) -> None:
    status, data = await client.call("POST", "submit", {"check": True})
    fig.statuses[f"check {status}"] += 1
    if status != 200:
        raise Failed(f"POST {API}submit check: {status} {data}")
    status, data = await client.call("POST", "submit", {})
    fig.statuses[f"submit {status}"] += 1
    if status != 201:
        raise Failed(f"POST {API}submit: {status} {data}")
    fig.submitted += 1
    submission = data["id"]
    submitted = time.monotonic()
    fig.first_submit = min(fig.first_submit or submitted, submitted)
    await asyncio.sleep(0.8)  # lesson.js: the first ask after 0.8 s, then every second
    while True:
        status, data = await client.call("GET", f"result/{submission}")
        if status == 200 and data.get("final"):
            fig.graded += 1
            now = time.monotonic()
            fig.graded_times.append(now - submitted)
            fig.last_graded = max(fig.last_graded, now)
            fig.arrival_to_graded.append(now - arrived)
            return
        if status != 200:
            fig.statuses[f"result {status}"] += 1
        if time.monotonic() - submitted > poll_for:
            fig.not_final += 1
            return
        await asyncio.sleep(1.0 if status == 200 else 2.0)


async def save(client, fig: Figures, answers: dict) -> None:
    """One PUT as the page's debounce sends it; on an error the page tries again in 5 s."""
    for _ in range(3):
        started = time.monotonic()
        status, data = await client.call("PUT", "answers", {"answers": answers})
        fig.statuses[f"save {status}"] += 1
        if status == 200:
            fig.saves.append(time.monotonic() - started)
            return
        fig.save_errors += 1
        await asyncio.sleep(5)
    raise Failed(f"PUT {API}answers: {status} {data}")


async def study(
    client, fig: Figures, name: str, password: str, arrive_at: float, args, burst: bool
) -> None:
    await asyncio.sleep(max(0.0, arrive_at - time.monotonic()))
    arrived = time.monotonic()
    try:
        if isinstance(client, BrowserLearner):
            await client.start()
            if burst:
                await client.login(name, password, PAGE)
                data = await client.ready()
                fig.first_question.append(time.monotonic() - arrived)
                fig.usable_browser.append(time.monotonic() - arrived)
            else:
                await client.login(name, password, SERVICE)
                await client.page.wait_for_url(f"**{SERVICE}**", timeout=300_000)
                fig.login.append(time.monotonic() - arrived)
                opened = time.monotonic()
                await client.page.goto(client.base + PAGE)
                data = await client.ready()
                fig.usable_browser.append(time.monotonic() - opened)
        elif burst:
            html = await client.login(name, password, PAGE)
            await client.statics(html)
            data = lesson_data(html)
            fig.first_question.append(time.monotonic() - arrived)
            fig.usable.append(time.monotonic() - arrived)  # the HTTP learners apart
        else:
            await client.login(name, password, SERVICE)
            fig.login.append(time.monotonic() - arrived)
            opened = time.monotonic()
            data = await client.open_lesson()
            fig.usable.append(time.monotonic() - opened)
        questions = data["questions"]
        answers = {q["id"]: answer_for(q, i) for i, q in enumerate(questions)}
        if not burst:
            # studying: a change saved every few seconds (the page's debounce), going through
            # the questions again and again until the learner's study time is over
            ids = list(answers)
            until = time.monotonic() + args.study
            turn = 0
            while time.monotonic() < until:
                await asyncio.sleep(args.save_every * random.uniform(0.7, 1.3))
                question_id = ids[turn % len(ids)]
                await save(client, fig, {question_id: answers[question_id]})
                turn += 1
        await save(client, fig, answers)
        await submit_and_follow(client, fig, name, arrived, args.poll_for)
    except Exception as error:
        step = getattr(client, "step", "")
        fig.failures.append(
            f"{name} at {time.strftime('%H:%M:%S')}, {step}: "
            f"{type(error).__name__}: {str(error)[:300]}"
        )
    finally:
        await client.close()


async def scenario(hub: Hub, names: list[str], password: str, args, burst: bool) -> Figures:
    fig = Figures()
    memory = Memory(hub)
    sampler = asyncio.create_task(memory.run())
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    browsers = min(args.browsers, len(names))
    # the browser learners are spread among the others (every k-th arrival)
    step = max(1, len(names) // browsers) if browsers else len(names) + 1
    browser_slots = {i * step + step // 2 for i in range(browsers)}
    start = time.monotonic() + 1.0
    span = 2.0 if burst else args.ramp
    tasks = []
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = None
        if browsers:
            chromium = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
        for i, name in enumerate(names):
            if burst:
                arrive = start + random.uniform(0, span)
            else:
                arrive = start + span * i / max(1, len(names))
            if i in browser_slots:
                client = BrowserLearner(hub.url, chromium)
            else:
                client = HttpLearner(hub.url, connector)
            tasks.append(
                asyncio.create_task(study(client, fig, name, password, arrive, args, burst))
            )
        _done, pending = await asyncio.wait(tasks, timeout=args.deadline)
        for task in pending:  # still logging in or studying when the run's time is up
            task.cancel()
        fig.unfinished = len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
        if chromium:
            await chromium.close()
    await connector.close()
    memory.running = False
    await sampler
    memory.sample()
    fig.memory = memory  # type: ignore[attr-defined]
    return fig


# -- reporting ----------------------------------------------------------------------------


def pp(values: list[float]) -> str:
    if not values:
        return "–"
    return f"{statistics.median(values):.2f} / {percentile(values, 0.95):.2f} s"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def platform_cpu(hub: Hub) -> float:
    """CPU seconds used so far by the processes of ``hub`` that are running now."""
    total = 0
    for pid in processes_under(hub.workdir):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(hub: Hub, below: float = 0.1, limit: float = 90.0) -> float:
    """Wait until the platform used under ``below`` of a core for two seconds in a row (at
    most ``limit`` s); the seconds waited."""
    started = time.monotonic()
    time.sleep(3)
    quiet = 0
    while quiet < 2 and time.monotonic() - started < limit:
        before = platform_cpu(hub)
        time.sleep(1)
        quiet = quiet + 1 if platform_cpu(hub) - before < below else 0
    return time.monotonic() - started


def cpu_of(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_one(n: int, args, burst: bool) -> tuple[dict, list[str]]:
    args = argparse.Namespace(**vars(args))
    if args.ramp is None:
        args.ramp = 0.3 * n  # ~3 logins a second, as in the figures before this bench's changes
    if args.study is None:
        args.study = args.ramp + 20  # so that all N study at once at the end of the ramp
    if args.deadline is None:  # the last arrival's whole study, submit and result, and a minute
        args.deadline = (2.0 if burst else args.ramp) + args.study + args.poll_for + 60
    tmp = Path(tempfile.mkdtemp(prefix="yiyuan-bench-load-"))
    hub = None
    lines: list[str] = []
    try:
        hub, names, password = make_platform(tmp / "hub", n)
        hub.start()
        # the services start after the hub answers (the grading workers import nbgrader, the
        # service forks): a burst meets a platform that is up and idle, not one warming up
        settled = wait_until_quiet(hub)
        load = uptime()
        offset = hub.log_file.stat().st_size
        cpu_before = cpu_of(resource.RUSAGE_SELF)
        # Playwright's driver and its Chromiums end (and are reaped) with the scenario; the
        # hub, also a child, only at hub.stop() below
        browsers_before = cpu_of(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        fig = asyncio.run(scenario(hub, names, password, args, burst))
        wall = time.monotonic() - started
        client_cpu = cpu_of(resource.RUSAGE_SELF) - cpu_before
        browsers_cpu = cpu_of(resource.RUSAGE_CHILDREN) - browsers_before
        times = service_times(hub.log_file, offset)
        memory = fig.memory  # type: ignore[attr-defined]
        failed_learners = len(fig.failures)
        row = {
            "n": n,
            "login": pp(fig.login),
            "usable": pp(fig.usable),
            "usable_browser": pp(fig.usable_browser),
            "first_question": pp(fig.first_question),
            "save_p95": f"{percentile(fig.saves, 0.95):.3f} s" if fig.saves else "–",
            "saves": len(fig.saves),
            "save_errors": fig.save_errors,
            "submitted": fig.submitted,
            "graded": fig.graded,
            "graded_time": pp(fig.graded_times),
            "arrival_to_graded": pp(fig.arrival_to_graded),
            "not_final": fig.not_final,
            "grading_rate": (
                f"{fig.graded / (fig.last_graded - fig.first_submit) * 60:.0f}/min"
                if fig.graded and fig.last_graded > fig.first_submit
                else "–"
            ),
            "params": (
                f"ramp {args.ramp:.0f} s, study {args.study:.0f} s, save every "
                f"{args.save_every:.0f} s ± 30 %, poll for {args.poll_for:.0f} s, "
                f"{min(args.browsers, n)} Chromium"
                if not burst
                else f"arrivals within 2 s, {min(args.browsers, n)} Chromium"
            ),
            "failures": failed_learners,
            "unfinished_at_deadline": fig.unfinished,
            "rss_peak": mb(memory.peak),
            "rss_end": mb(memory.last),
            "wall": f"{wall:.0f} s",
            "platform_idle_after": f"{settled:.0f} s",
            "client_cpu": f"{client_cpu:.0f} s",
            # the same two cores serve the platform: what the bench's own browsers took of them
            "browsers_cpu": f"{browsers_cpu:.0f} s of {2 * wall:.0f} core-seconds",
            "load": load.split("load average:")[-1].strip(),
        }
        lines.append(f"### N = {n}{' (burst within 2 s)' if burst else ''}")
        lines.append(f"- before the run: `{load}`")
        for key, value in row.items():
            lines.append(f"- {key}: {value}")
        lines.append(
            "- RSS at peak by role: "
            + ", ".join(f"{r} {mb(v)}" for r, v in sorted(memory.peak_roles.items()))
        )
        lines.append(
            "- RSS at the end by role: "
            + ", ".join(f"{r} {mb(v)}" for r, v in sorted(memory.last_roles.items()))
        )
        lines.append(
            "- responses: " + ", ".join(f"{k} ×{v}" for k, v in sorted(fig.statuses.items()))
        )
        lines.append(
            "- yiyuan service, time in the handler (its access log), p50 / p95 / max, count:"
        )
        for kind, values in sorted(times.items(), key=lambda kv: -sum(kv[1])):
            lines.append(
                f"  - {kind}: {statistics.median(values) * 1000:.0f} / "
                f"{percentile(values, 0.95) * 1000:.0f} / {max(values) * 1000:.0f} ms, "
                f"×{len(values)}, total {sum(values):.1f} s"
            )
        for failure in fig.failures[:10]:
            lines.append(f"- failure: {failure}")
        if len(fig.failures) > 10:
            lines.append(f"- … and {len(fig.failures) - 10} more failures")
        print("\n".join(lines), flush=True)
        if fig.failures or fig.save_errors:
            errors = [
                line
                for line in hub.log_file.read_text(errors="replace").splitlines()
                if " E " in line[:40] or "Traceback" in line or "ERROR" in line
            ]
            print("hub log errors (first 20):\n" + "\n".join(errors[:20]), flush=True)
        return row, lines
    finally:
        if hub is not None:
            hub.stop()
        if args.keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="*", default=[])
    parser.add_argument("--burst", type=int, nargs="*", default=[])
    parser.add_argument(
        "--ramp", type=float, default=None, help="arrivals spread over (s); default 0.3 s × N"
    )
    parser.add_argument("--save-every", type=float, default=5.0, help="seconds between saves")
    parser.add_argument(
        "--study", type=float, default=None, help="each learner studies (s); default ramp + 20"
    )
    parser.add_argument(
        "--poll-for", type=float, default=180.0, help="a learner asks for the result this long"
    )
    parser.add_argument("--browsers", type=int, default=5, help="real Chromium learners")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="learners still busy then are stopped (s); default: ramp + study + poll-for + 60",
    )
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the hub's work dir")
    args = parser.parse_args()
    if not args.learners and not args.burst:
        args.learners = [100, 300, 1000]
    # publishing compiles the lesson once; the compiled page does not depend on the platform,
    # so the runs share it (yiyuan.catalog.compile's cache, as the test suite does)
    os.environ.setdefault(
        "YIYUAN_COMPILE_CACHE", str(Path(tempfile.gettempdir()) / "yiyuan-bench-compile-cache")
    )
    rows, burst_rows, lines = [], [], []
    for n in args.learners:
        row, more = run_one(n, args, burst=False)
        rows.append(row)
        lines += more
    for n in args.burst:
        row, more = run_one(n, args, burst=True)
        burst_rows.append(row)
        lines += more
    table = []
    if rows:
        table += [
            "| N | login p50 / p95 | lesson usable p50 / p95 (HTTP) | usable in Chromium p50 / p95 "
            "| save p95 | submitted | graded in run | failures | RSS peak / end |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            table.append(
                f"| {r['n']} | {r['login']} | {r['usable']} | {r['usable_browser']} | "
                f"{r['save_p95']} | {r['submitted']} | {r['graded']} | {r['failures']} | "
                f"{r['rss_peak']} / {r['rss_end']} |"
            )
    if burst_rows:
        table += [
            "",
            "| N within 2 s | before (issue 17) | first question p50 / p95 | of it HTTP / "
            "Chromium | arrival → graded p50 / p95 | graded | failures | bench's browsers' CPU "
            "| RSS peak |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in burst_rows:
            table.append(
                f"| {r['n']} | {BEFORE_BURST.get(r['n'], '')} | {r['first_question']} | "
                f"{r['usable']} / {r['usable_browser']} | {r['arrival_to_graded']} | "
                f"{r['graded']} of {r['n']} | {r['failures']} | {r['browsers_cpu']} | "
                f"{r['rss_peak']} |"
            )
    print("\n".join(table))
    if args.record:
        title = "Compiled lessons under load" if rows else "Compiled lessons, bursts"
        record(title, [*table, "", *lines])


if __name__ == "__main__":
    main()
