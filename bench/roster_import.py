"""Benchmark: importing a 20,000-row roster, first into an empty database and again as a no-op,
on SQLite and PostgreSQL, then syncing groups into a real running JupyterHub.

Baseline in the same run, on the same people: nbgrader's own roster importer,
``nbgrader db student import`` (CSV → gradebook), first import and re-import.

    .venv/bin/python bench/roster_import.py [--rows 20000] [--pg-url URL] [--record]

Prints rows/s per step and the ratio to nbgrader; ``--record`` appends the figures to
bench/RESULTS.md. Aims (issue 3): first import ≤ 30 s, re-import ≤ 10 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from scratch_pg import fresh_pg  # noqa: E402
from sqlalchemy import update  # noqa: E402

from hubtest import Hub  # noqa: E402  (the test suite's real-hub harness)
from yiyuan.associations import STANDARD_ASSOCIATIONS  # noqa: E402
from yiyuan.db import Database, migrate  # noqa: E402
from yiyuan.demo import DEMO_PASSWORD  # noqa: E402
from yiyuan.hubgroups import request_hub_sync  # noqa: E402
from yiyuan.members import hubsync  # noqa: E402
from yiyuan.members.importer import apply_rows  # noqa: E402
from yiyuan.members.roster import read_roster  # noqa: E402
from yiyuan.members.rows import associations_matcher, check_rows  # noqa: E402
from yiyuan.models import Account, utcnow  # noqa: E402
from yiyuan.secrets import service_token  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧阳"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞斌宇浩凯健俊帆帅旭宁琳雪琴云莉丹阳晨曦思远子涵雨欣梓萱一诺浩然文博"
STANDINGS = ["", "", "", "", "会员", "理事", "常务理事", "主席团成员"]
SEPARATORS = ["、", "，", ",", "；", "\n"]
HEADER = ["姓名", "手机号", "所属协会", "会员身份", "性别", "工作单位", "邮箱"]
#: members who have logged in (so the hub knows them) when the second sync runs
LOGGED_IN = 2000


def make_people(count: int, seed: int = 7) -> list[list]:
    """Realistic rows: 1–3 associations, full-width digits now and then, ~1% bad rows."""
    rng = random.Random(seed)
    mobiles = rng.sample(range(13000000000, 19999999999), count)
    rows = []
    for i, mobile in enumerate(mobiles):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
        picked = rng.sample(STANDARD_ASSOCIATIONS, rng.choice([1, 1, 1, 2, 2, 3]))
        associations = rng.choice(SEPARATORS).join(
            rng.choice([short, full, "深圳市" + full]) for _, short, full in picked
        )
        phone = str(mobile)
        if i % 17 == 0:  # full-width digits, as some exports have them
            phone = phone.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if i % 100 == 0:
            phone = phone[:7]  # a bad row
        if i % 150 == 1:
            associations = "篮球协会"  # another bad row
        rows.append(
            [
                name,
                phone,
                associations,
                rng.choice(STANDINGS),
                rng.choice(["男", "女", ""]),
                rng.choice(["", "深圳画院", "某中学", "文化馆", "自由职业"]),
                "",
            ]
        )
    return rows


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("会员名册")
    sheet.append(["2026年会员名册"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_nbgrader_csv(path: Path, rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for i, row in enumerate(rows):
            writer.writerow([f"student{i:05d}", row[0][1:], row[0][:1], ""])
    return path


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def import_once(database: Database, path: Path):
    roster = read_roster(path)
    with database.session() as session:
        matcher = associations_matcher(session, "深圳市")
    rows, errors = check_rows(roster, matcher)
    result = apply_rows(database, rows)
    return len(roster.rows), len(errors), result


def bench_backend(label: str, url: str, roster: Path, hub: Hub | None) -> list[tuple]:
    database = Database(url)
    migrate.upgrade(database)
    from yiyuan.associations.records import ensure_standard_associations

    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
    seconds, (rows, errors, result) = timed(lambda: import_once(database, roster))
    figures = [(f"{label}: first import", rows, seconds, f"{result.created} new, {errors} bad")]
    seconds, (rows, errors, again) = timed(lambda: import_once(database, roster))
    figures.append((f"{label}: re-import (no-op)", rows, seconds, f"{again.unchanged} unchanged"))
    if hub is not None:
        figures += bench_hub_sync(label, database, hub, result.passwords)
    database.dispose()
    return figures


def bench_hub_sync(label: str, database: Database, hub: Hub, created) -> list[tuple]:
    """Sync with nobody logged in yet (groups only), then with LOGGED_IN members known to the
    hub: created through JupyterHub's own REST API as an administrator would (timed: the
    stock way), then marked as logged in so the sync must place them in their groups."""
    api = hubsync.HubAPI(
        f"http://127.0.0.1:{hub.hub_port}/hub/api",
        service_token(hub.data_dir, hubsync.SERVICE_NAME),
        timeout=600,
    )
    seconds, report = timed(lambda: hubsync.sync(database, api))
    figures = [(f"{label}: hub sync, nobody logged in", len(created), seconds, report.summary())]

    names = [p.username for p in created[:LOGGED_IN]]
    browser = hub.browser()
    browser.login("admin", DEMO_PASSWORD, allow_redirects=False)
    admin = requests.Session()
    admin.headers["Authorization"] = f"token {browser.token()}"

    def create_users():
        # as their first logins would: a hub user each, in the "learners" group
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            admin.post(f"{hub.url}/hub/api/users", json={"usernames": chunk}).raise_for_status()
            admin.post(
                f"{hub.url}/hub/api/groups/learners/users", json={"users": chunk}
            ).raise_for_status()

    seconds, _ = timed(create_users)
    figures.append(
        ("JupyterHub REST API: create hub users + learners group (stock)", len(names), seconds, "")
    )
    with database.session() as session:
        session.execute(
            update(Account).where(Account.username.in_(names)).values(last_login_at=utcnow())
        )
        request_hub_sync(session)
    seconds, report = timed(lambda: hubsync.sync(database, api))
    figures.append(
        (f"{label}: hub sync, {len(names)} logged in", len(names), seconds, report.summary())
    )
    seconds, report = timed(lambda: hubsync.sync(database, api))
    figures.append((f"{label}: hub sync (no-op)", len(names), seconds, report.summary()))
    return figures


def bench_nbgrader(csv_path: Path, workdir: Path) -> list[tuple]:
    command = [str(Path(sys.executable).parent / "nbgrader"), "db", "student", "import"]
    figures = []
    for step in ("first import", "re-import"):
        seconds, done = timed(
            lambda: subprocess.run([*command, str(csv_path)], cwd=workdir, capture_output=True)
        )
        assert done.returncode == 0, done.stderr[-2000:]
        rows = sum(1 for _ in csv_path.open()) - 1
        figures.append((f"nbgrader db student import: {step}", rows, seconds, "SQLite gradebook"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--pg-url", default=os.environ.get("YIYUAN_TEST_PG_URL", ""))
    parser.add_argument("--no-hub", action="store_true", help="skip the hub sync steps")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        people = make_people(args.rows)
        roster = write_xlsx(work / "roster.xlsx", people)
        nb_csv = write_nbgrader_csv(work / "students.csv", people)
        figures = []
        hub = None
        if not args.no_hub:
            # the hub's own platform database is not the one benchmarked: the sync pushes
            # the benchmarked database's groups into this hub through the REST API
            hub = Hub(work / "hub", settings={"culler": {"enabled": False}})
            hub.cli("db", "upgrade")
            hub.cli("demo", "seed")
            hub.start()
        try:
            sqlite_url = f"sqlite:///{work / 'bench.sqlite'}"
            figures += bench_backend("SQLite", sqlite_url, roster, hub)
            if args.pg_url:
                url, drop = fresh_pg(args.pg_url)
                try:
                    # a second hub sync to the same hub would be a no-op: sync PG without it
                    figures += bench_backend("PostgreSQL", url, roster, None)
                finally:
                    drop()
        finally:
            if hub:
                hub.stop()
        (work / "nb").mkdir()
        figures += bench_nbgrader(nb_csv, work / "nb")

    baseline = {f[0].split(": ")[1]: f[2] for f in figures if f[0].startswith("nbgrader")}
    lines = [
        f"| {name} | {rows} | {seconds:.2f} | {rows / seconds:,.0f} | "
        f"{_ratio(name, seconds, baseline)} | {note} |"
        for name, rows, seconds, note in figures
    ]
    table = [
        "| step | rows | seconds | rows/s | vs nbgrader | notes |",
        "|---|---|---|---|---|---|",
        *lines,
    ]
    print("\n".join(table))
    if args.record:
        stamp = datetime.date.today().isoformat()
        command = "`.venv/bin/python bench/roster_import.py --record`" + (
            " with YIYUAN_TEST_PG_URL set" if args.pg_url else ""
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as file:
            file.write(f"\n## Roster import, {args.rows} rows — {stamp}\n\n{command}\n\n")
            file.write("\n".join(table) + "\n")


def _ratio(name: str, seconds: float, baseline: dict[str, float]) -> str:
    """How many times faster than nbgrader's importer on the same rows (import and re-import)."""
    if not name.startswith(("SQLite", "PostgreSQL")) or "hub sync" in name:
        return ""
    key = "re-import" if "re-import" in name else "first import"
    return f"{baseline[key] / seconds:.1f}×" if key in baseline else ""


if __name__ == "__main__":
    main()
