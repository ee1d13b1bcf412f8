"""Benchmark: the administrator workspace on a 20,000-member platform, through a real hub and
its proxy, against the stock JupyterHub admin panel on the same people in the same run.

    .venv/bin/python bench/admin_workspace.py [--members 20000] [--courses 50] [--runs 5]
        [--roster-rows 20000] [--roster-runs 3] [--pg [--pg-url URL]] [--record]

1. Member search: ours ``GET /services/yiyuan/api/admin/members?text=…&limit=50`` with the
   administrator's token, against the stock admin panel's user search,
   ``GET /hub/api/users?name_filter=…&limit=50`` as /hub/admin calls it (pagination header,
   ``include_stopped_servers``, ``sort=id``), same token, same proxy. The hub's users are the
   platform's usernames, created through the hub's own REST API as the administrator (timed).
   JupyterHub's ``name_filter`` is a prefix match on usernames; ours a substring match on
   name, username and mobile (plus association and standing filters): the comparable queries
   are username prefixes; the others are ours only.
2. The workspace's pages as a browser gets them (the administrator's cookies after the OAuth
   dance), against the admin panel's first screen (``/hub/admin`` and its first users call).
3. Roster preview and import: a roster of new people (bench/roster_import.py's generator)
   uploaded raw to ``api/admin/roster/uploads`` (preview) and confirmed (import). JupyterHub has
   no counterpart; the reference is the CLI on the same file, ``yiyuan members import
   --dry-run`` (the same domain code, plus a process start), and that code called in-process.

Medians of ``--runs`` (the machine is shared); the platform database is SQLite, or a scratch
PostgreSQL with ``--pg``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import report_summary  # noqa: E402  (bench/report_summary.py: the same synthetic fill)
import roster_import  # noqa: E402  (bench/roster_import.py: its roster generator)
import stats  # noqa: E402  (bench/stats.py)
from scratch_pg import fresh_pg  # noqa: E402
from sqlalchemy import func, or_, select  # noqa: E402

from hubtest import Hub  # noqa: E402  (the test suite's real-hub harness)
from yiyuan.db import Database  # noqa: E402
from yiyuan.members import rosterimport  # noqa: E402
from yiyuan.models import Account, ModuleResult  # noqa: E402
from yiyuan.synthetic import SYNTHETIC_PASSWORD  # noqa: E402

SERVICE = "/services/yiyuan/"
ADMIN = "synadmin"
#: the admin panel's users call (JupyterHub 5/6 admin-react.js): its query and its header
PANEL_QUERY = "include_stopped_servers=1&offset=0&limit=50&sort=id&state="
PAGINATION = {"Accept": "application/jupyterhub-pagination+json"}
HUB_BATCH = 1000
#: username prefixes both searches take: the synthetic platform's, then the imported roster's
#: pinyin user names (wangfang1234…)
SYNTHETIC_PREFIXES = ("", "syn1", "syn012", "syn01234")
PINYIN_PREFIXES = ("wang", "zhang", "wangf", "liu")
#: ours only: JupyterHub knows user names, not people's names, mobiles or associations
PEOPLE_QUERIES = (
    ("surname 王", f"text={quote('王')}"),
    ("given name 雅", f"text={quote('雅')}"),
    ("mobile fragment 1380", "text=1380"),
    ("association 书协", f"association={quote('书协')}"),
    ("王 in 书协", f"text={quote('王')}&association={quote('书协')}"),
    ("书协 理事", f"association={quote('书协')}&standing={quote('理事')}"),
)
#: the city of bench/report_summary.fill's associations (the roster names them in full)
CITY = "深圳市"


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def ok(response: requests.Response) -> requests.Response:
    if response.status_code >= 400:
        raise AssertionError(
            f"{response.request.method} {response.url}: {response.status_code} "
            f"{response.text[:500]}"
        )
    return response


def busy_learner(database: Database) -> tuple[str, int]:
    """The learner with the most module results: the heaviest member page."""
    with database.session() as session:
        return session.execute(
            select(Account.username, func.count(ModuleResult.id))
            .join(ModuleResult, ModuleResult.account_id == Account.id)
            .group_by(Account.id, Account.username)
            .order_by(func.count(ModuleResult.id).desc(), Account.username)
            .limit(1)
        ).one()


def create_hub_users(api: requests.Session, url: str, names: list[str]) -> float:
    """The platform's usernames as hub users, through the stock REST API (as an admin would)."""
    start = time.perf_counter()
    for first in range(0, len(names), HUB_BATCH):
        ok(api.post(f"{url}/hub/api/users", json={"usernames": names[first : first + HUB_BATCH]}))
    return time.perf_counter() - start


def median_of(function, runs: int) -> tuple[float, object]:
    function()  # warm: connections, statement caches, OS page cache
    _, median, result = stats.timed_runs(function, runs)
    return median, result


def search_figures(
    api: requests.Session,
    url: str,
    runs: int,
    say,
    prefixes: tuple[str, ...] = SYNTHETIC_PREFIXES,
    people: tuple[tuple[str, str], ...] = PEOPLE_QUERIES,
) -> None:
    def ours(query: str):
        def call():
            return ok(api.get(f"{url}{SERVICE}api/admin/members?{query}&limit=50")).json()

        return call

    def stock(prefix: str):
        def call():
            return ok(
                api.get(
                    f"{url}/hub/api/users?{PANEL_QUERY}&name_filter={quote(prefix)}",
                    headers=PAGINATION,
                )
            ).json()

        return call

    say(
        "| query | yiyuan median | found (shown) | JupyterHub median | found (shown) "
        "| yiyuan / JupyterHub |"
    )
    say("|---|---|---|---|---|---|")
    # comparable: username prefixes (a substring on our side, which for these is the same set)
    for prefix in prefixes:
        query = f"text={quote(prefix)}"
        our_s, our_r = median_of(ours(query), runs)
        hub_s, hub_r = median_of(stock(prefix), runs)
        total = hub_r["_pagination"]["total"]
        say(
            f"| user name starts with `{prefix or '(all)'}` | {our_s * 1000:.0f} ms "
            f"| {our_r['total']} ({len(our_r['members'])}) | {hub_s * 1000:.0f} ms "
            f"| {total} ({len(hub_r['items'])}) | {our_s / hub_s:.2f} |"
        )
    # ours only: JupyterHub knows user names, not people's names, mobiles or associations
    for label, query in people:
        our_s, our_r = median_of(ours(query), runs)
        say(
            f"| {label} | {our_s * 1000:.0f} ms | {our_r['total']} ({len(our_r['members'])}) "
            "| — | — | no stock search |"
        )
    if not people:
        return
    say()
    say(
        "yiyuan: total counted in the same request (a COUNT over the filtered join, then the "
        "page of 50 with each member's memberships and roles); JupyterHub: its `_pagination."
        "total` likewise. JupyterHub's `name_filter` is a prefix match on user names only; "
        "ours a substring match on name, user name and mobile, so the people queries have no "
        "stock counterpart (the platform's user names are syn00001…, not names)."
    )


def page_figures(browser, learner: str, runs: int, say) -> dict[str, float]:
    def get(path: str, headers: dict | None = None):
        def call():
            return ok(browser.get(path, headers=headers or {}, allow_redirects=False))

        return call

    pages = [
        ("概览", "admin"),
        ("课程", "admin/courses"),
        ("会员 (first page)", "admin/members"),
        ("会员 书协", f"admin/members?association={quote('书协')}"),
        ("会员 王", f"admin/members?text={quote('王')}"),
        (f"会员档案 {learner}", f"admin/members/{learner}"),
        ("培训项目与期次", "admin/cohorts"),
        ("学时", "admin/hours"),
        ("导入名册", "admin/roster"),
        ("审计日志", "audit"),
    ]
    say("| page | median | bytes |")
    say("|---|---|---|")
    medians = {}
    for label, path in pages:
        seconds, response = median_of(get(SERVICE + path), runs)
        medians[label] = seconds
        say(f"| yiyuan `{path}` {label} | {seconds:.3f} s | {len(response.content):,} |")

    def panel():
        html = ok(browser.get("/hub/admin", allow_redirects=False))
        users = ok(
            browser.get(
                f"/hub/api/users?{PANEL_QUERY}",
                headers={**PAGINATION, "X-XSRFToken": browser.xsrf()},
            )
        )
        return len(html.content) + len(users.content)

    seconds, size = median_of(panel, runs)
    medians["stock"] = seconds
    say(
        f"| JupyterHub `/hub/admin` + its first `/hub/api/users?limit=50` (stock admin panel's "
        f"first screen; its scripts are static files, cached) | {seconds:.3f} s | {size:,} |"
    )
    return medians


def roster_figures(api, url: str, hub: Hub, database: Database, rows: int, runs: int, say):
    with tempfile.TemporaryDirectory(prefix="admin-roster-") as tmp:
        people = roster_import.make_people(rows, seed=9)
        path = roster_import.write_xlsx(Path(tmp) / "新会员名册.xlsx", people)
        body = path.read_bytes()
        endpoint = f"{url}{SERVICE}api/admin/roster/uploads?name={quote(path.name)}"

        def upload():
            response = ok(api.post(endpoint, data=body, headers={"Content-Type": XLSX}))
            return response.json()

        web, tokens = [], []
        preview = None
        for _ in range(runs):
            seconds, answer = timed(upload)
            web.append(seconds)
            tokens.append(answer["token"])
            preview = answer["preview"]

        def cli():
            return hub.cli("members", "import", "--dry-run", "--actor", ADMIN, str(path))

        cli_runs = [timed(cli)[0] for _ in range(runs)]
        start_up = statistics.median(timed(lambda: hub.cli("--help"))[0] for _ in range(3))

        def in_process():
            checked = rosterimport.check(database, CITY, path)
            return rosterimport.apply(database, checked, actor=ADMIN, dry_run=True)

        _, domain, _ = stats.timed_runs(in_process, runs)
        confirm_s, confirmed = timed(
            lambda: ok(
                api.post(f"{url}{SERVICE}api/admin/roster/uploads/{tokens[-1]}/confirm")
            ).json()
        )
    counts = preview["counts"]
    web_s, cli_s = statistics.median(web), statistics.median(cli_runs)
    say(
        f"roster: {preview['rows']} rows of new people ({len(body) / 1e6:.1f} MB .xlsx), "
        f"preview: {counts['created']} new, {counts['updated']} updated, "
        f"{counts['rejected']} rejected rows"
    )
    reasons = Counter(
        reason["reason"].split("（")[0] for row in preview["rejected"] for reason in row["reasons"]
    )
    say("rejected rows' reasons: " + "; ".join(f"{r} {n}" for r, n in reasons.most_common(4)))
    say()
    say("| step | median | ratio to CLI dry run |")
    say("|---|---|---|")
    say(
        f"| web: upload → preview answer (`POST api/admin/roster/uploads`) | {web_s:.2f} s "
        f"| {web_s / cli_s:.2f} |"
    )
    say(
        f"| CLI `yiyuan members import --dry-run` (same file; a process, its start-up "
        f"`yiyuan --help` {start_up:.2f} s) | {cli_s:.2f} s | 1.00 |"
    )
    say(
        f"| domain code in-process (`rosterimport.check` + `apply(dry_run=True)`) "
        f"| {domain:.2f} s | {domain / cli_s:.2f} |"
    )
    result = confirmed["result"]["counts"]
    say(
        f"| web: confirm → import answer (once: {result['created']} accounts created, "
        f"{result['rejected']} rows rejected) | {confirm_s:.2f} s | |"
    )
    say()
    say(
        "No JupyterHub counterpart for a roster (the stock way is `POST /hub/api/users` with "
        "usernames, timed above for the platform's accounts); the CLI is the reference: same "
        "domain code, so the ratio is the web's overhead (upload through the proxy, staging on "
        "disk, error report, JSON answer)."
    )


def pinyin_search(api: requests.Session, url: str, database: Database, runs: int, say) -> None:
    """After the roster import: the imported people's pinyin user names in the hub too (only
    those starting with a compared prefix), then the same prefix searches on both sides."""
    with database.session() as session:
        accounts = session.scalar(select(func.count(Account.id)))
        names = list(
            session.scalars(
                select(Account.username).where(
                    or_(*(Account.username.startswith(p) for p in PINYIN_PREFIXES if p))
                )
            )
        )
    seconds = create_hub_users(api, url, names)
    say()
    say(
        f"### Member search after the roster import ({accounts} accounts; the {len(names)} "
        f"imported user names starting with {'/'.join(PINYIN_PREFIXES)} added to the hub "
        f"in {seconds:.0f} s; median of {runs})"
    )
    say()
    search_figures(api, url, runs, say, PINYIN_PREFIXES, ())
    say()
    say(
        "Totals differ where the two searches differ: JupyterHub counts user names starting "
        "with the text; yiyuan counts accounts whose user name, name or mobile contains it "
        "(e.g. zhangwang1234 for wang)."
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--roster-rows", type=int, default=20000)
    parser.add_argument("--roster-runs", type=int, default=3)
    parser.add_argument("--pg", action="store_true", help="the platform on a scratch PostgreSQL")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg:///postgres?host=/var/run/postgresql"
    )
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()

    lines: list[str] = []

    def say(line: str = "") -> None:
        print(line, flush=True)
        lines.append(line)

    started = time.perf_counter()
    drop = None
    with tempfile.TemporaryDirectory(prefix="admin-workspace-") as tmp:
        settings: dict = {"city": CITY, "culler": {"enabled": False}}
        if args.pg:
            pg_url, drop = fresh_pg(args.pg_url)
            settings["db_url"] = pg_url
        hub = Hub(Path(tmp) / "hub", settings)
        try:
            url = settings.get("db_url") or f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}"
            hub.cli("db", "upgrade")
            database, filled, counts = report_summary.fill(url, args.members, args.courses)
            with database.session() as session:
                names = list(session.scalars(select(Account.username).order_by(Account.id)))
            learner, results = busy_learner(database)
            say(
                f"data: {counts['members']} members, {len(names)} accounts, "
                f"{counts['module_results']} module results ({database.engine.dialect.name}, "
                f"generated in {filled:.0f} s); busiest learner {learner} ({results} results)"
            )
            hub.start()
            browser = hub.browser()
            ok(browser.login(ADMIN, SYNTHETIC_PASSWORD))
            api = requests.Session()
            api.headers["Authorization"] = f"token {browser.token()}"
            others = [name for name in names if name != ADMIN]
            seconds = create_hub_users(api, hub.url, others)
            say(
                f"hub users: {len(others)} created through `POST /hub/api/users` as {ADMIN} "
                f"(batches of {HUB_BATCH}) in {seconds:.0f} s"
            )
            # the service's OAuth dance once, as a browser's first visit does
            ok(browser.get(SERVICE + "admin"))
            say()
            say(f"### Member search (the API, token; median of {args.runs})")
            say()
            search_figures(api, hub.url, args.runs, say)
            say()
            say(f"### Workspace pages, HTML through the proxy (cookie; median of {args.runs})")
            say()
            page_figures(browser, learner, args.runs, say)
            say()
            say(f"### Roster preview and import (median of {args.roster_runs})")
            say()
            roster_figures(api, hub.url, hub, database, args.roster_rows, args.roster_runs, say)
            pinyin_search(api, hub.url, database, args.runs, say)
            database.dispose()
        finally:
            hub.stop()
            if drop:
                drop()
    say()
    say(f"total time {time.perf_counter() - started:.0f} s")
    if args.record:
        stats.record("Administrator workspace, 20k members", lines)


if __name__ == "__main__":
    main()
