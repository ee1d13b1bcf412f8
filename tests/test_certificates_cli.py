"""``yiyuan certificates`` (and the class certificate options of ``yiyuan cohorts``) as an
administrator types them: each command's happy path, and bad input answered with one Chinese
sentence, exit 1, nothing written. Learners complete their courses through the completion
engine (tests/test_certificates.py's builders); SQLite and PostgreSQL; real WeasyPrint."""

from __future__ import annotations

import os
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from test_certificates import certified_course, completed, pdf_text

from hubtest import yiyuan
from learningdata import account, course
from yiyuan.certificates import issuing, jobs
from yiyuan.cli import cli, main
from yiyuan.models import (
    AuditEntry,
    Certificate,
    CertificateJob,
    Cohort,
    CohortCourse,
    CohortMember,
    StudyHours,
    utcnow,
)


@pytest.fixture
def env(tmp_path, db_url, database):
    config = tmp_path / "yiyuan.yml"
    config.write_text(
        "city: 深圳市\ncertificates:\n  issuers:\n    - code: federation\n    - code: music\n"
        "      name: 深圳市音乐家协会\n",
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(
        YIYUAN_CONFIG=str(config), YIYUAN_DATA_DIR=str(tmp_path / "data"), YIYUAN_DB_URL=db_url
    )
    return env


def run(env, *args, code=0):
    main(register_only=True)
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


def refused(env, *args, fragment=""):
    """One sentence on stderr, exit 1, no traceback."""
    result = run(env, *args, code=1)
    assert result.stderr.startswith("错误：") and "Traceback" not in result.stderr
    assert fragment in result.stderr, result.stderr
    return result


def count(database, model=Certificate) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(model.id)))


@pytest.fixture
def two_certified(database):
    """王明 and 李华 completed 书法鉴赏入门 (c1, certificate: true); zhao did not."""
    with database.session() as session:
        row = certified_course(session)
        serials = [
            issuing.of_account(session, completed(session, user, row, name=name).id)[0].serial
            for user, name in (("wangming", "王明"), ("lihua", "李华"))
        ]
        account(session, "zhao")
    return serials


# --- looking and downloading ----------------------------------------------------------------


def test_list_show_and_pdf(env, database, two_certified, tmp_path, monkeypatch):
    wang, li = two_certified
    listed = run(env, "certificates", "list").stdout
    assert wang in listed and li in listed and "王明" in listed and "书法鉴赏入门" in listed
    assert "共 2 份（有效 2，已撤销 0）" in listed
    mine = run(env, "certificates", "list", "--user", "wangming").stdout
    assert wang in mine and li not in mine
    assert wang in run(env, "certificates", "list", "--course", "c1").stdout
    assert "没有符合条件的证书" in run(env, "certificates", "list", "--revoked").stdout
    refused(env, "certificates", "list", "--course", "nope", fragment="没有课程“nope”")
    refused(env, "certificates", "list", "--cohort", "nope", fragment="没有期次“nope”")
    refused(env, "certificates", "list", "--user", "nobody", fragment="没有用户名为")

    shown = run(env, "certificates", "show", f" {wang.lower()} ").stdout  # as typed or scanned
    assert f"编号：{wang}" in shown and "姓名：王明（wangming）" in shown
    assert "状态：有效" in shown and "完成时自动颁发" in shown
    assert f"/services/yiyuan/verify/{wang}" in shown and "尚未生成" in shown
    refused(env, "certificates", "show", "2026-ZS-000999-ABCDEFGH", fragment="没有编号为")

    out = tmp_path / "wang.pdf"
    assert "已写入" in run(env, "certificates", "pdf", wang, "-o", out).stdout
    assert out.read_bytes().startswith(b"%PDF") and wang in pdf_text(out.read_bytes())
    out.write_bytes(b"mine")
    refused(env, "certificates", "pdf", wang, "-o", out, fragment="已存在，没有覆盖")
    assert out.read_bytes() == b"mine"
    run(env, "certificates", "pdf", wang, "-o", out, "--force")
    assert out.read_bytes().startswith(b"%PDF")
    assert "PDF：" in run(env, "certificates", "show", wang).stdout  # kept since
    monkeypatch.chdir(tmp_path)
    run(env, "certificates", "pdf", li)
    assert [p.name for p in tmp_path.glob("*李华*.pdf")] == [f"结业证书-书法鉴赏入门-李华-{li}.pdf"]
    refused(env, "certificates", "pdf", "junk", fragment="没有编号为 junk 的证书")


# --- by hand --------------------------------------------------------------------------------


def test_issue_by_hand_revoke_and_reissue(env, database, two_certified):
    wang, _ = two_certified
    with database.session() as session:
        old = course(session, "old", modules=[{"code": "m1", "hours": 2.0}])
        old.title = "二〇二五年书法班"
        completed(session, "chen", old, name="陈静")
    refused(env, "certificates", "issue", "chen", "--course", "old", fragment="须填写原因")
    refused(env, "certificates", "issue", "chen", "--course", "old", "--reason", " ",
            fragment="须填写原因")  # fmt: skip
    refused(env, "certificates", "issue", "chen", "--reason", "补发", fragment="二选一")
    refused(env, "certificates", "issue", "chen", "--course", "nope", "--reason", "补发",
            fragment="没有课程 nope")  # fmt: skip
    refused(env, "certificates", "issue", "nobody", "--course", "old", "--reason", "补发",
            fragment="没有用户名为")  # fmt: skip
    refused(env, "certificates", "issue", "zhao", "--course", "c1", "--reason", "补发",
            fragment="尚未完成课程“书法鉴赏入门”")  # fmt: skip
    refused(env, "certificates", "issue", "wangming", "--course", "c1", "--reason", "补发",
            fragment="不会重复颁发")  # fmt: skip
    assert count(database) == 2
    issued = run(
        env, "certificates", "issue", "chen", "--course", "old", "--reason", "2025 年结业补发",
        "--actor", "wangmin",
    ).stdout  # fmt: skip
    assert "已颁发结业证书“二〇二五年书法班”给 陈静（chen）" in issued

    refused(env, "certificates", "revoke", wang, fragment="撤销证书须填写原因")
    assert "已撤销证书" in run(env, "certificates", "revoke", wang, "--reason", "学员申请").stdout
    refused(env, "certificates", "revoke", wang, "--reason", "再撤", fragment="已于此前撤销")
    assert wang in run(env, "certificates", "list", "--revoked").stdout
    assert "状态：已撤销" in run(env, "certificates", "show", wang).stdout

    refused(env, "certificates", "reissue", wang, fragment="重新颁发证书须填写原因")
    again = run(
        env, "certificates", "reissue", wang, "--reason", "姓名录入有误", "--name", "王小明"
    ).stdout
    assert "已重新颁发：新编号" in again and f"原证书 {wang} 已撤销" in again
    with database.session() as session:
        newest = session.scalar(select(Certificate).order_by(Certificate.id.desc()).limit(1))
        assert (newest.name, newest.edition, newest.detail["replaces"]) == ("王小明", 2, wang)
        entries = session.execute(select(AuditEntry.action, AuditEntry.actor)).all()
    assert ("certificate.issue", "wangmin") in entries
    assert {action for action, _ in entries} >= {
        "certificate.issue",
        "certificate.revoke",
        "certificate.reissue",
    }
    refused(env, "certificates", "reissue", wang, "--reason", "再来", fragment="更新的版本")


def test_a_name_outside_the_font(env, database, tmp_path):
    with database.session() as session:
        row = certified_course(session)
        acc = completed(session, "wangzhe", row, name="王𪚥")
        serial = issuing.of_account(session, acc.id)[0].serial
    out = tmp_path / "wang.pdf"
    refused(env, "certificates", "pdf", serial, "-o", out, fragment="不在证书字体里")
    assert not out.exists()
    # reissuing with the same name would print boxes again: refused, nothing changed
    refused(env, "certificates", "reissue", serial, "--reason", "更正", fragment="𪚥")
    refused(env, "certificates", "reissue", serial, "--reason", "更正", "--name", "王𪚥x",
            fragment="不在证书字体里")  # fmt: skip
    assert count(database) == 1
    assert "已撤销" not in run(env, "certificates", "show", serial).stdout
    fixed = run(env, "certificates", "reissue", serial, "--reason", "生僻字", "--name", "王喆")
    new_serial = fixed.stdout.split("新编号 ")[1].split("（")[0]
    run(env, "certificates", "pdf", new_serial, "-o", out)
    assert "王喆" in pdf_text(out.read_bytes())
    # issuing by hand warns (the rules issue regardless of the font; the PDF waits for a reissue)
    with database.session() as session:
        plain = course(session, "plain", modules=[{"code": "m1"}])
        completed(session, "liyan", plain, name="李𪚥")
    issued = run(env, "certificates", "issue", "liyan", "--course", "plain", "--reason", "补发")
    assert "已颁发" in issued.stdout and "注意：" in issued.stderr and "重新颁发" in issued.stderr


def test_statement(env, database, tmp_path):
    with database.session() as session:
        acc = account(session, "wangming")
        acc.display_name = "王明"
        session.add(
            StudyHours(account_id=acc.id, hours=6.0, source="manual", reason="外出培训",
                       credited_at=utcnow())
        )  # fmt: skip
    out = tmp_path / "hours.pdf"
    written = run(env, "certificates", "statement", "wangming", "-o", out).stdout
    assert "已写入" in written and "年度学时 6" in written
    text = pdf_text(out.read_bytes())
    assert "学时证明" in text and "王明" in text
    refused(env, "certificates", "statement", "wangming", "-o", out, fragment="已存在")
    run(env, "certificates", "statement", "wangming", "-o", out, "--force")
    assert count(database) == 1  # the same statement while the ledger is unchanged
    refused(env, "certificates", "statement", "wangming", "--year", "2020", "-o", tmp_path / "x",
            fragment="还没有学时记录")  # fmt: skip
    refused(env, "certificates", "statement", "wangming", "--year", "1999", fragment="年份")
    refused(env, "certificates", "statement", "nobody", fragment="没有用户名为")
    assert not (tmp_path / "x").exists()


# --- a class --------------------------------------------------------------------------------


def test_class_certificate_setting_on_cohorts(env, database):
    with database.session() as session:
        course(session, "c1", modules=[{"code": "m1"}])
    refused(env, "cohorts", "create", "k1", "--name", "第一期", "--starts", "2026-09-01",
            "--ends", "2026-11-30", "--certificate", "结业证书", "--issuer", "nope",
            fragment="没有颁发单位“nope”：可选 federation、music")  # fmt: skip
    created = run(env, "cohorts", "create", "k1", "--name", "第一期", "--starts", "2026-09-01",
                  "--ends", "2026-11-30", "--course", "c1", "--certificate", "培训证书",
                  "--issuer", "music")  # fmt: skip
    assert "将获颁“培训证书”" in created.stdout
    assert "结业证书：完成全部课程颁发“培训证书”，颁发单位 music" in (
        run(env, "cohorts", "show", "k1").stdout
    )
    run(env, "cohorts", "update", "k1", "--certificate", "结业证书")  # issuer kept
    with database.session() as session:
        cohort = session.scalar(select(Cohort).where(Cohort.code == "k1"))
        assert cohort.certificate == {"title": "结业证书", "issuer": "music"}
    refused(env, "cohorts", "update", "k1", "--no-certificate", "--issuer", "music",
            fragment="不能与")  # fmt: skip
    assert "期次结业证书：无" in run(env, "cohorts", "update", "k1", "--no-certificate").stdout
    assert "期次结业证书：无" in run(env, "cohorts", "update", "k1", "--name", "第一期班").stdout
    refused(env, "cohorts", "update", "nope", "--name", "x", fragment="没有期次“nope”")
    with database.session() as session:
        details = [
            e.detail
            for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "cohort.update"))
        ]
    assert {"certificate": {"title": "结业证书", "issuer": "music"}} in details
    assert {"certificate": {}} in details and {"name": "第一期班"} in details


@pytest.fixture
def a_class(database):
    """第三期 (k3) with 书法鉴赏入门: five members completed it, one did not."""
    with database.session() as session:
        row = certified_course(session, certificate=False)
        cohort = Cohort(code="k3", name="2026年第三期文艺骨干培训班", certificate={})
        session.add(cohort)
        session.flush()
        session.add(CohortCourse(cohort_id=cohort.id, course_id=row.id))
        names = ("张三", "李四", "王五", "赵六", "钱七")
        people = [completed(session, f"p{i}", row, name=n) for i, n in enumerate(names)]
        for acc in [*people, account(session, "idle")]:
            session.add(CohortMember(cohort_id=cohort.id, account_id=acc.id))
    return "k3"


def test_issue_cohort_zip_and_register(env, database, a_class, tmp_path):
    refused(env, "certificates", "issue-cohort", "k3", fragment="没有设置结业证书")
    refused(env, "certificates", "issue-cohort", "nope", fragment="没有期次“nope”")
    refused(env, "certificates", "zip", "k3", "-o", tmp_path / "k3.zip", fragment="还没有有效")
    assert not (tmp_path / "k3.zip").exists()
    run(env, "cohorts", "update", "k3", "--certificate", "结业证书")
    done = run(env, "certificates", "issue-cohort", "k3", "--actor", "wangmin")
    assert "6 名学员，新颁发 5 份结业证书" in done.stdout
    assert "颁发中" in done.stderr  # click's progress bar
    again = run(env, "certificates", "issue-cohort", "k3").stdout
    assert "新颁发 0 份" in again  # never twice
    assert count(database) == 5
    assert "共 5 份" in run(env, "certificates", "list", "--cohort", "k3").stdout

    bundle = tmp_path / "k3.zip"
    assert "5 份证书" in run(env, "certificates", "zip", "k3", "-o", bundle).stdout
    names = zipfile.ZipFile(bundle).namelist()
    assert len(names) == 5 and any("张三" in n for n in names)
    refused(env, "certificates", "zip", "k3", "-o", bundle, fragment="已存在")
    refused(env, "certificates", "zip", "nope", "-o", tmp_path / "n.zip", fragment="没有期次")

    register = tmp_path / "登记册.xlsx"
    assert (
        "5 份证书" in run(env, "certificates", "register", "--cohort", "k3", "-o", register).stdout
    )
    rows = list(load_workbook(register).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("证书编号", "证书", "姓名") and len(rows) == 6
    refused(env, "certificates", "register", "-o", tmp_path / "r.csv", fragment=".xlsx")
    refused(env, "certificates", "register", "--cohort", "k3", "--course", "c1", "-o",
            tmp_path / "r.xlsx", fragment="只能给一个")  # fmt: skip
    refused(env, "certificates", "register", "-o", register, fragment="已存在")
    run(env, "certificates", "register", "--course", "c1", "-o", tmp_path / "c1.xlsx")
    assert len(list(load_workbook(tmp_path / "c1.xlsx").active.iter_rows())) == 1  # class ones
    with database.session() as session:
        assert (
            session.scalar(select(AuditEntry.actor).where(AuditEntry.action == "certificate.batch"))
            == "wangmin"
        )


def test_run_job_runs_a_requested_job_quietly(env, database, a_class):
    with database.session() as session:
        session.scalar(select(Cohort).where(Cohort.code == "k3")).certificate = {
            "title": "结业证书"
        }
        job_id = jobs.request(session, "k3", "admin").id
    # the real command in a process of its own, as the service starts it
    result = yiyuan("certificates", "run-job", str(job_id), env=env)
    assert result.stdout == "" and result.stderr == ""
    with database.session() as session:
        job = session.get(CertificateJob, job_id)
        assert (job.state, job.done, job.total, job.issued) == ("done", 6, 6, 5)
    missing = yiyuan("certificates", "run-job", "999", env=env, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("错误：没有编号为 999 的证书任务")
    assert count(database, CertificateJob) == 1
