"""Certificates (结业证书) and statements (学时证明): the rules, never twice, revoke and
reissue, the PDF (text, picture, QR code), bundles and the class job. Real database (SQLite
and PostgreSQL), real WeasyPrint, pdftoppm and pdftotext; the QR code is decoded by zxing."""

from __future__ import annotations

import io
import subprocess
import threading
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learningdata import T0, account, course, grade, member, submit
from yiyuan import audit
from yiyuan.certificates import files, issuing, jobs, serials
from yiyuan.certificates.document import render, verify_url
from yiyuan.certificates.fonts import missing_characters
from yiyuan.certificates.issuing import CertificateError
from yiyuan.completion import engine
from yiyuan.db import Database
from yiyuan.models import (
    AuditEntry,
    Certificate,
    CertificateJob,
    Cohort,
    CohortCourse,
    CohortMember,
    Member,
    Standing,
    StudyHours,
)
from yiyuan.platform import open_storage
from yiyuan.settings import load_settings

ONE_MODULE = [{"code": "m1", "hours": 2.5}]


@pytest.fixture
def settings(tmp_path):
    return load_settings({"YIYUAN_DATA_DIR": str(tmp_path / "data")})


def kept_pdf(settings, serial: str) -> bytes | None:
    """The PDF kept in the platform's storage, if any."""
    storage = open_storage(settings)
    key = files.key_of(storage, serial)
    return storage.get(key) if storage.exists(key) else None


def completed(session, username, course_row, name=None):
    """A member of 书协 who passes every module of ``course_row`` (through the engine)."""
    acc = account(session, username)
    if name:
        acc.display_name = name
    member(session, acc, ("书协", Standing.member))
    for module in course_row.modules:
        grade(session, submit(session, acc, module))
        engine.update(session, acc.id, module.id, now=T0 + timedelta(hours=1))
    return acc


def certified_course(session, code="c1", certificate=True, modules=ONE_MODULE):
    row = course(session, code, modules=modules)
    row.manifest = dict(row.manifest, certificate=certificate)
    row.title = "书法鉴赏入门"
    session.flush()
    return row


# --- serials, without a database --------------------------------------------------------------


def test_serials_are_unique_and_not_guessable():
    made = {serials.make_serial(2026, "ZS", 123) for _ in range(200)}
    assert len(made) == 200
    for serial in made:
        assert serials.PATTERN.match(serial)
        assert serial.startswith("2026-ZS-000123-")


def test_serial_as_typed_is_normalised_and_junk_is_none():
    serial = serials.make_serial(2026, "ZS", 7)
    assert serials.normalise(" " + serial.lower() + " ") == serial
    assert serials.normalise(serial[:-1] + "O") in (None, serial[:-1] + "0")
    for junk in ("", "2026-ZS-000007", "../../etc/passwd", "2026-ZS-000007-ABCDEFGH-1", "x" * 500):
        assert serials.normalise(junk) is None


@pytest.mark.parametrize(
    ("name", "masked"),
    [("王明", "王*"), ("王小明", "王*明"), ("欧阳明月", "欧**月"), ("李", "李"), ("", "")],
)
def test_names_are_masked_for_strangers(name, masked):
    assert serials.mask_name(name) == masked


def test_characters_outside_the_font_are_named():
    assert missing_characters("王小明") == []
    assert missing_characters("王𪚥𪚥") == ["𪚥"]  # U+2A6A5, a real name character


# --- the rules ------------------------------------------------------------------------------


def test_completing_a_course_issues_one_certificate(database):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row, name="王明")
        (cert,) = issuing.of_account(session, acc.id)
        assert (cert.kind, cert.title, cert.name, cert.subject) == (
            "course", "结业证书", "王明", "书法鉴赏入门"
        )  # fmt: skip
        assert cert.association == "深圳市书法家协会"
        assert cert.hours == 2.5
        assert cert.achieved_on.isoformat() == "2027-01-10"  # graded 08:01 UTC = 16:01 in 深圳
        assert serials.PATTERN.match(cert.serial) and f"-{cert.id:06d}-" in cert.serial
        assert cert.issued_by == "" and cert.valid


def test_recompute_and_a_second_update_issue_nothing_more(database):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row)
        engine.recompute(session)
        engine.update(session, acc.id, row.modules[0].id)
        assert session.scalar(select(func.count(Certificate.id))) == 1


def test_a_course_without_certificate_issues_none(database):
    with database.session() as session:
        row = course(session, "plain", modules=ONE_MODULE)
        acc = completed(session, "wangming", row)
        assert issuing.of_account(session, acc.id) == []


def test_a_class_certificate_needs_every_course_of_the_class(database):
    with database.session() as session:
        first = course(session, "c1", modules=[{"code": "a", "hours": 1.0}])
        second = course(session, "c2", modules=[{"code": "b", "hours": 2.0}])
        cohort = Cohort(code="2026-3", name="2026年第三期文艺骨干培训班", certificate={})
        session.add(cohort)
        session.flush()
        cohort.certificate = {"title": "结业证书"}
        session.add_all(
            [CohortCourse(cohort_id=cohort.id, course_id=c.id) for c in (first, second)]
        )
        acc = account(session, "lina")
        member(session, acc, ("美协", Standing.council))
        session.add(CohortMember(cohort_id=cohort.id, account_id=acc.id))
        session.flush()
        grade(session, submit(session, acc, first.modules[0]))
        engine.update(session, acc.id, first.modules[0].id)
        assert issuing.of_account(session, acc.id) == []  # one course of two
        grade(session, submit(session, acc, second.modules[0]))
        engine.update(session, acc.id, second.modules[0].id)
        (cert,) = issuing.of_account(session, acc.id)
        assert (cert.kind, cert.subject, cert.hours) == (
            "cohort",
            "2026年第三期文艺骨干培训班",
            3.0,
        )
        assert cert.detail["courses"] == ["c1", "c2"]


def test_revoke_and_reissue_after_a_name_correction(database):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row, name="王名")
        (old,) = issuing.of_account(session, acc.id)
        with pytest.raises(CertificateError, match="原因"):
            issuing.revoke(session, old.serial, reason=" ", actor="admin")
        session.scalar(select(Member).where(Member.account_id == acc.id)).name = "王明"
        new = issuing.reissue(session, old.serial, reason="姓名录入有误", actor="admin")
        assert (new.name, new.edition, new.issued_by) == ("王明", 2, "admin")
        assert new.serial != old.serial and new.detail["replaces"] == old.serial
        assert old.revoked_at is not None and "姓名录入有误" in old.revoked_reason
        with pytest.raises(CertificateError, match="更新的版本"):
            issuing.reissue(session, old.serial, reason="再来", actor="admin")
        issuing.revoke(session, new.serial, reason="学员申请撤销", actor="admin")
        with pytest.raises(CertificateError, match="已于此前撤销"):
            issuing.revoke(session, new.serial, reason="再撤销", actor="admin")
        # the rules never bring a revoked certificate back
        engine.recompute(session)
        assert len(issuing.of_account(session, acc.id)) == 2
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["certificate.reissue", "certificate.revoke"]


def test_issue_by_hand_refuses_what_was_not_earned_or_is_there(database):
    with database.session() as session:
        row = certified_course(session)
        done = completed(session, "wangming", row)
        other = account(session, "lina")
        with pytest.raises(CertificateError, match="尚未完成"):
            issuing.issue_by_hand(session, other.id, course_code="c1", reason="补发", actor="admin")
        with pytest.raises(CertificateError, match="不会重复颁发"):
            issuing.issue_by_hand(session, done.id, course_code="c1", reason="补发", actor="admin")
        with pytest.raises(CertificateError, match="没有课程"):
            issuing.issue_by_hand(session, done.id, course_code="nope", reason="x", actor="admin")
        with pytest.raises(CertificateError, match="二选一"):
            issuing.issue_by_hand(session, done.id, reason="补发", actor="admin")
        assert session.scalar(select(func.count(Certificate.id))) == 1
        assert audit.ACTIONS["certificate.issue"]


def test_issue_by_hand_for_a_course_completed_before_certificates(database):
    with database.session() as session:
        row = course(session, "old", modules=ONE_MODULE)  # no certificate in its manifest
        acc = completed(session, "wangming", row)
        cert = issuing.issue_by_hand(
            session, acc.id, course_code="old", reason="2025 年结业补发", actor="admin"
        )
        assert (cert.issued_by, cert.reason, cert.title) == ("admin", "2025 年结业补发", "结业证书")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.issue"))
        assert entry.target == cert.serial and entry.detail["reason"] == "2025 年结业补发"


def test_a_statement_is_the_same_until_the_ledger_changes(database):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row)
        year = T0.year
        now = T0 + timedelta(days=2)
        first = issuing.statement(session, acc.id, year, now=now)
        assert (first.kind, first.hours, first.title) == ("hours", 2.5, "学时证明")
        assert first.detail["lines"][0]["hours"] == 2.5
        assert issuing.statement(session, acc.id, year, now=now).id == first.id
        session.add(
            StudyHours(account_id=acc.id, hours=1.0, source="manual", reason="外出培训",
                       credited_at=T0 + timedelta(days=1))
        )  # fmt: skip
        session.flush()
        second = issuing.statement(session, acc.id, year, now=now)
        assert second.id != first.id and second.hours == 3.5 and second.edition == 2
        assert first.valid  # it stays true for what it said on its day
        with pytest.raises(CertificateError, match="还没有学时记录"):
            issuing.statement(session, acc.id, year - 1, now=now)
        with pytest.raises(CertificateError, match="年份"):
            issuing.statement(session, acc.id, year + 1, now=now)


# --- the document ---------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The PDF's text without spaces and line breaks (a title may wrap)."""
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return "".join(text.split())


def pdf_png(data: bytes, path) -> None:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-singlefile", "-", str(path.with_suffix(""))],
        input=data,
        check=True,
    )


def decoded_qr(png) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [code.text for code in zxingcpp.read_barcodes(Image.open(png))]


def test_the_pdf_shows_name_serial_and_a_qr_code_to_the_verify_page(
    db_url, database, settings, artifacts
):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row, name="欧阳明月")
        (cert,) = issuing.of_account(session, acc.id)
        data = files.pdf_of(settings, cert)
        assert data.startswith(b"%PDF")
        assert kept_pdf(settings, cert.serial) == data  # kept
        text = pdf_text(data)
        for expected in ("结业证书", "欧阳明月", "书法鉴赏入门", cert.serial, "2.5"):
            assert expected in text
        png = artifacts / f"certificate-{db_url.split(':')[0].split('+')[0]}.png"
        pdf_png(data, png)
        assert decoded_qr(png) == [verify_url(settings, cert.serial)]
        statement = issuing.statement(session, acc.id, T0.year, now=T0 + timedelta(days=1))
        statement_pdf = files.pdf_of(settings, statement)
        assert statement.serial in pdf_text(statement_pdf)
        pdf_png(statement_pdf, artifacts / "statement.png")


def test_a_name_outside_the_font_gets_a_sentence_not_empty_boxes(database, settings):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangming", row, name="王𪚥")
        (cert,) = issuing.of_account(session, acc.id)
        with pytest.raises(CertificateError, match=r"𪚥.*不在证书字体里"):
            render(cert, settings)
        assert kept_pdf(settings, cert.serial) is None
        with pytest.raises(CertificateError, match="不在证书字体里"):  # the same name again
            issuing.reissue(session, cert.serial, reason="重新颁发", actor="admin")
        assert cert.valid  # refused before anything changed
        fixed = issuing.reissue(
            session, cert.serial, reason="生僻字改用可打印写法", actor="admin", name="王喆"
        )
        assert files.pdf_of(settings, fixed).startswith(b"%PDF")


def test_zip_and_register_of_a_class(database, settings):
    with database.session() as session:
        row = certified_course(session)
        people = [completed(session, f"xy{i}", row, name=n) for i, n in enumerate(("张三", "王𪚥"))]
        certs = [issuing.of_account(session, p.id)[0] for p in people]
        data, problems = files.zip_of(settings, certs)
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert len(problems) == 1 and "𪚥" in problems[0]
        assert "未能生成的证书.txt" in names and any("张三" in n for n in names)
        issuing.revoke(session, certs[0].serial, reason="测试撤销", actor="admin")
        sheet = load_workbook(io.BytesIO(files.register(certs, "证书登记册"))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("证书编号", "证书", "姓名")
        assert {r[2]: r[10] for r in rows[1:]} == {"张三": "已撤销", "王𪚥": "有效"}


def test_the_class_job_issues_each_once_and_reports_progress(database, settings):
    with database.session() as session:
        row = certified_course(session)
        cohort = Cohort(code="2026-3", name="第三期", certificate={})
        session.add(cohort)
        session.flush()
        session.add(CohortCourse(cohort_id=cohort.id, course_id=row.id))
        people = [completed(session, f"p{i}", row) for i in range(5)]
        idle = account(session, "idle")
        for acc in [*people, idle]:
            session.add(CohortMember(cohort_id=cohort.id, account_id=acc.id))
        with pytest.raises(CertificateError, match="没有设置结业证书"):
            jobs.request(session, "2026-3", "admin")
        cohort.certificate = {"title": "结业证书"}
        with pytest.raises(CertificateError, match="没有期次"):
            jobs.request(session, "nope", "admin")
        job_id = jobs.request(session, "2026-3", "admin").id
        assert jobs.request(session, "2026-3", "admin").id == job_id  # one under way at a time
    seen = []
    figures = jobs.run(database, settings, job_id, progress=lambda *f: seen.append(f))
    assert figures["issued"] == 5 and figures["done"] == figures["total"] == 6
    assert seen[-1] == (6, 6, 5)
    with database.session() as session:
        certs = issuing.of_cohort(session, cohort.id)
        assert len(certs) == 5 and all(kept_pdf(settings, c.serial) for c in certs)
        again = jobs.request(session, "2026-3", "admin").id
    assert jobs.run(database, settings, again)["issued"] == 0  # never twice


def test_two_requests_at_once_in_two_processes_make_one_job(database):
    """As two service replicas would: the second request waits for the first's commit and
    returns its job. Replicas need PostgreSQL (one SQLite file serves one machine)."""
    if not database.url.startswith("postgresql"):
        pytest.skip("replicas run on PostgreSQL")
    with database.session() as session:
        row = certified_course(session)
        cohort = Cohort(code="2026-4", name="第四期", certificate={"title": "结业证书"})
        session.add(cohort)
        session.flush()
        session.add(CohortCourse(cohort_id=cohort.id, course_id=row.id))
    other = Database(database.url)
    started, ids = threading.Event(), []

    def second():
        started.set()
        with other.session() as session:
            ids.append(jobs.request(session, "2026-4", "admin2").id)

    try:
        with database.session() as session:
            ids.append(jobs.request(session, "2026-4", "admin1").id)
            thread = threading.Thread(target=second)
            thread.start()
            started.wait(10)
            thread.join(1)  # it waits on the class row while this transaction holds it …
            assert thread.is_alive()
        thread.join(60)  # … and finds this job once it is committed
    finally:
        other.dispose()
    assert len(ids) == 2 and ids[0] == ids[1]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CertificateJob)) == 1


def test_completions_from_before_certificates_are_issued_once_by_issue_due(database):
    with database.session() as session:
        row = course(session, "old", modules=ONE_MODULE)  # completed while it had no certificate
        people = [completed(session, name, row) for name in ("zhang", "wang")]
        assert issuing.issue_due(session) == 0
        row.manifest = dict(row.manifest, certificate={"title": "培训证书"})
        session.flush()
        assert issuing.issue_due(session) == 2
        assert issuing.issue_due(session) == 0
        titles = {c.title for p in people for c in issuing.of_account(session, p.id)}
        assert titles == {"培训证书"}


def test_the_completion_message_points_to_the_certificate(database):
    from yiyuan.messages.collect import collect
    from yiyuan.models import Message

    with database.session() as session:
        plain = course(session, "plain", modules=[{"code": "p1"}])
        certified = certified_course(session, "c1")
        acc = account(session, "wangming")
        for row in (plain, certified):
            grade(session, submit(session, acc, row.modules[0]))
            engine.update(session, acc.id, row.modules[0].id)
        collect(session, account_id=acc.id)
        done = session.scalars(
            select(Message).where(Message.kind == "course-completed").order_by(Message.id)
        ).all()
        assert [(m.body, m.link) for m in done] == [
            ("共计 1 学时，可以在「我的学时」查看明细。", "hours"),
            ("共计 2.5 学时，结业证书已颁发，可以在「我的证书」查看和下载。", "certificates"),
        ]


def test_the_issuer_printed_is_the_settings_one_with_the_city(tmp_path):
    from yiyuan.certificates.document import DEMO_SEAL, issuer_of

    path = tmp_path / "yiyuan.yml"
    path.write_text(
        "city: 深圳市\nfederation_name: 文学艺术界联合会\ncertificates:\n  issuers:\n"
        "    - code: federation\n    - code: music\n      name: 深圳市音乐家协会\n"
        "      seal: yinxie.svg\n      signatory: 李明\n      signatory_title: 主席\n",
        encoding="utf-8",
    )
    settings = load_settings({"YIYUAN_CONFIG": str(path)})
    assert issuer_of(settings, "").name == "深圳市文学艺术界联合会"
    assert issuer_of(settings, "federation").seal == DEMO_SEAL
    music = issuer_of(settings, "music")
    assert (music.name, music.seal, music.signatory) == (
        "深圳市音乐家协会", tmp_path / "yinxie.svg", "李明"
    )  # fmt: skip
