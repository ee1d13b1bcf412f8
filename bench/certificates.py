"""Benchmark: a class's certificates (结业证书) issued by the class job, rows and PDFs.

    .venv/bin/python bench/certificates.py [--people 2000] [--render 300] [--sample 30]
                                           [--pg URL]

A fresh database (SQLite; PostgreSQL too with ``--pg``, an admin URL such as
YIYUAN_TEST_PG_URL) is seeded with ``--people`` members of 书协 who completed a 3-hour course,
and two classes (期次) with a certificate: one of everybody, one of the first ``--render``.

1. **rows only**: the class job (``jobs.run``) for everybody, with the PDF step switched off:
   what issuing costs in the database (the rules, never twice, serials, batches of 50).
2. **rows + PDFs**: the job for the ``--render`` class as it runs for real (each certificate's
   PDF rendered and kept); the time for ``--people`` is extrapolated from it, labelled so.
3. **rendering, same certificates, same run** (the first ``--sample`` of step 2):
   - ours: ``document.render`` one after another in this process, as the job does;
   - ours in 2 worker processes (one per core): what running the job's rendering in parallel
     would give;
   - the naive script: the same HTML written to a file and ``weasyprint in.html out.pdf`` run
     per certificate (a process, Python, Pango and fonts loaded each time).
   ``document.render`` is itself the stock way of using WeasyPrint (a fresh ``HTML(...)`` per
   document, a fresh font configuration inside ``write_pdf``), so the ratio worth printing is
   against the per-certificate CLI call, not against "stock WeasyPrint in-process".

Prints figures and ratios; no thresholds. Takes ~3 minutes on the 2-core machine by default.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from scratch_pg import fresh_pg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from yiyuan.associations.records import ensure_standard_associations, find_association  # noqa: E402
from yiyuan.certificates import document, files, jobs  # noqa: E402
from yiyuan.db import Database, migrate  # noqa: E402
from yiyuan.models import (  # noqa: E402
    Account,
    AccountRole,
    Certificate,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    CourseCompletion,
    Member,
    Membership,
    Module,
    ModuleKind,
    Role,
    Standing,
    StudyHours,
)
from yiyuan.settings import load_settings  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞斌宇浩凯健俊帆"
DONE_AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def seed(database: Database, people: int, render: int) -> None:
    with database.session() as session:
        ensure_standard_associations(session, "深圳市")
        shuxie = find_association(session, "书协").id
        course = Course(
            code="shufa-jianshang", title="书法艺术鉴赏入门", manifest={}, enrolment="elective"
        )
        session.add(course)
        session.flush()
        module = Module(
            course_id=course.id, code="m1", title="单元", kind=ModuleKind.online, position=0,
            hours=3.0, required=True, pass_rule={"quiz": 60}, reflections=[],
        )  # fmt: skip
        everybody = Cohort(code="all", name="2026年第三期书法骨干培训班", certificate={})
        some = Cohort(code="some", name="2026年第三期书法骨干培训班（渲染）", certificate={})
        session.add_all([module, everybody, some])
        session.flush()
        accounts = []
        for i in range(people):
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[i % 11]
            account = Account(username=f"xy{i:05d}", display_name=name, active=True)
            account.roles.append(AccountRole(role=Role.learner))
            accounts.append(account)
        session.add_all(accounts)
        session.flush()
        for i, account in enumerate(accounts):
            member = Member(name=account.display_name, mobile=f"139{i:08d}", account_id=account.id)
            member.memberships.append(Membership(association_id=shuxie, standing=Standing.member))
            session.add(member)
            session.add(CourseCompletion(account_id=account.id, course_id=course.id,
                                         completed_at=DONE_AT))  # fmt: skip
            session.add(StudyHours(account_id=account.id, hours=3.0, module_id=module.id,
                                   credited_at=DONE_AT))  # fmt: skip
            session.add(CohortMember(cohort_id=everybody.id, account_id=account.id))
            if i < render:
                session.add(CohortMember(cohort_id=some.id, account_id=account.id))
        session.add_all(
            CohortCourse(cohort_id=c.id, course_id=course.id) for c in (everybody, some)
        )
        everybody.certificate = some.certificate = {"title": "结业证书"}


def run_job(database, settings, code: str, pdfs: bool) -> tuple[float, dict]:
    with database.session() as session:
        job_id = jobs.request(session, code, "bench").id
    real = files.pdf_of
    if not pdfs:
        jobs.files.pdf_of = lambda settings, certificate: b""
    try:
        start = time.perf_counter()
        figures = jobs.run(database, settings, job_id)
        return time.perf_counter() - start, figures
    finally:
        jobs.files.pdf_of = real


# --- rendering, three ways ------------------------------------------------------------------

_worker: dict = {}


def _render_in_worker(serial: str) -> float:
    if not _worker:
        _worker["db"] = Database(os.environ["BENCH_DB_URL"])
        _worker["settings"] = load_settings({"YIYUAN_DATA_DIR": os.environ["BENCH_DATA_DIR"]})
    with _worker["db"].session() as session:
        certificate = session.scalar(select(Certificate).where(Certificate.serial == serial))
        start = time.perf_counter()
        document.render(certificate, _worker["settings"])
        return time.perf_counter() - start


def html_of(certificate, settings) -> str:
    """The exact HTML ``document.render`` hands to WeasyPrint for this certificate."""
    import weasyprint

    captured = {}

    class Capture:
        def __init__(self, string, base_url):
            captured["html"] = string

        def write_pdf(self):
            return b""

    real, weasyprint.HTML = weasyprint.HTML, Capture
    try:
        document.render(certificate, settings)
    finally:
        weasyprint.HTML = real
    return captured["html"]


def rendering(database, settings, url: str, sample: int, work: Path) -> dict:
    with database.session() as session:
        certificates = list(
            session.scalars(
                select(Certificate)
                .where(
                    Certificate.cohort_id
                    == select(Cohort.id).where(Cohort.code == "some").scalar_subquery()
                )
                .order_by(Certificate.id)
                .limit(sample)
            )
        )
        document.render(certificates[0], settings)  # Pango and the font's character map, once
        ours, sizes = [], []
        for certificate in certificates:
            start = time.perf_counter()
            sizes.append(len(document.render(certificate, settings)))
            ours.append(time.perf_counter() - start)
        pages = [html_of(c, settings) for c in certificates]
        serials = [c.serial for c in certificates]

    os.environ.update(BENCH_DB_URL=url, BENCH_DATA_DIR=str(settings.data_dir))
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_render_in_worker, serials[:2]))  # each worker's first (imports) apart
        start = time.perf_counter()
        list(pool.map(_render_in_worker, serials))
        pooled = time.perf_counter() - start

    weasyprint_cli = str(Path(sys.executable).with_name("weasyprint"))
    templates = str(document.TEMPLATES)
    naive = []
    for number, page in enumerate(pages):
        source, target = work / f"c{number}.html", work / f"c{number}.pdf"
        source.write_text(page, encoding="utf-8")
        start = time.perf_counter()
        subprocess.run(
            [weasyprint_cli, "--base-url", templates, str(source), str(target)], check=True
        )
        naive.append(time.perf_counter() - start)
    return {
        "n": len(certificates),
        "ours": sum(ours),
        "ours_p50": statistics.median(ours),
        "pooled": pooled,
        "naive": sum(naive),
        "naive_p50": statistics.median(naive),
        "size": statistics.median(sizes),
        "naive_size": statistics.median(
            (work / f"c{i}.pdf").stat().st_size for i in range(len(pages))
        ),
    }


def backend(label: str, url: str, args, work: Path) -> list[str]:
    database = Database(url)
    migrate.upgrade(database)
    settings = load_settings({"YIYUAN_DATA_DIR": str(work / f"data-{label}")})
    start = time.perf_counter()
    seed(database, args.people, args.render)
    seeded = time.perf_counter() - start
    print(f"{label}: seeded {args.people} completed learners in {seeded:.1f} s", flush=True)

    rows_s, rows = run_job(database, settings, "all", pdfs=False)
    print(f"{label}: rows only {rows['issued']} in {rows_s:.2f} s", flush=True)
    both_s, both = run_job(database, settings, "some", pdfs=True)
    print(f"{label}: rows + PDFs {both['issued']} in {both_s:.2f} s", flush=True)
    rate_rows, rate_both = rows["issued"] / rows_s, both["issued"] / both_s
    lines = [
        f"| {label}: rows only (job, PDF step off) | {rows['issued']} | {rows_s:.2f} | "
        f"{rate_rows:,.0f} | |",
        f"| {label}: rows + PDFs (job as it runs) | {both['issued']} | {both_s:.2f} | "
        f"{rate_both:,.1f} | {rate_rows / rate_both:.0f}× slower than rows only |",
        f"| {label}: rows + PDFs for {args.people}, **extrapolated** | {args.people} | "
        f"{args.people / rate_both:.0f} | {rate_both:,.1f} | from the {both['issued']} above |",
    ]
    if label == "SQLite":
        r = rendering(database, settings, url, args.sample, work)
        lines += [
            f"| PDF: ours, sequential in-process (`document.render`) | {r['n']} | "
            f"{r['ours']:.2f} | {r['n'] / r['ours']:.1f} | p50 {r['ours_p50']:.3f} s, "
            f"{r['size'] / 1000:.0f} kB each |",
            f"| PDF: ours in 2 worker processes | {r['n']} | {r['pooled']:.2f} | "
            f"{r['n'] / r['pooled']:.1f} | {r['ours'] / r['pooled']:.1f}× ours sequential |",
            f"| PDF: naive script, `weasyprint` CLI per certificate (same HTML) | {r['n']} | "
            f"{r['naive']:.2f} | {r['n'] / r['naive']:.1f} | p50 {r['naive_p50']:.3f} s; "
            f"ours is **{r['naive'] / r['ours']:.1f}×** faster; "
            f"{r['naive_size'] / 1000:.0f} kB each |",
        ]
    database.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000, help="learners in the class")
    parser.add_argument("--render", type=int, default=300, help="learners whose PDFs are made")
    parser.add_argument("--sample", type=int, default=30, help="PDFs rendered three ways")
    parser.add_argument("--pg", default="", help="PostgreSQL admin URL (also run there)")
    args = parser.parse_args()
    args.render = min(args.render, args.people)
    lines = [
        "| step | certificates | seconds | per second | notes |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="yiyuan-bench-certificates-") as folder:
        work = Path(folder)
        lines += backend("SQLite", f"sqlite:///{work / 'yiyuan.sqlite'}", args, work)
        if args.pg:
            url, drop = fresh_pg(args.pg)
            try:
                lines += backend("PostgreSQL", url, args, work)
            finally:
                drop()
    load = os.getloadavg()[0]
    print(f"\nmachine: {os.cpu_count()} cores, load average {load:.1f} at the end\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
