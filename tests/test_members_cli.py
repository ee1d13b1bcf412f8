"""``yiyuan members`` and ``yiyuan associations`` as an administrator types them (no hub)."""

import json
import os
import stat

import pytest
from openpyxl import load_workbook

from hubtest import yiyuan
from rosters import write_roster

HEADER = ["姓名", "手机号", "所属协会", "职务", "性别", "工作单位", "邮箱"]
ROWS = [
    ["王芳", "13812345678", "书协、美协", "理事", "女", "深圳画院", "wf@example.com"],
    ["刘洋", "13900012345", "作协", "", "男", "", ""],
    ["赵磊", "1234", "书协", "", "", "", ""],
]


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env["YIYUAN_DATA_DIR"] = str(tmp_path / "data")
    # no hub runs on this port: imports must still land and say the hub is not in sync
    (tmp_path / "yiyuan.yml").write_text("city: 深圳市\nhub:\n  hub_port: 9\n", encoding="utf-8")
    env["YIYUAN_CONFIG"] = str(tmp_path / "yiyuan.yml")
    yiyuan("db", "upgrade", env=env)
    return env


def run(env, *args, check=True):
    return yiyuan(*map(str, args), env=env, check=check)


def write_xlsx(path, rows=ROWS):
    return write_roster(path, HEADER, rows)


def test_db_upgrade_seeds_the_eleven_associations(env):
    listing = run(env, "associations", "list").stdout
    assert "书协" in listing and "深圳市书法家协会" in listing
    assert len(listing.strip().splitlines()) == 11
    run(env, "associations", "add", "film", "影协", "深圳市电影家协会")
    assert "影协" in run(env, "associations", "list").stdout
    duplicate = run(env, "associations", "add", "film2", "影协", "x", check=False)
    assert duplicate.returncode == 1 and "已存在" in duplicate.stderr


def test_import_reports_writes_passwords_once_and_reimport_is_a_no_op(env, tmp_path):
    roster = write_xlsx(tmp_path / "名册.xlsx")
    passwords = tmp_path / "passwords.xlsx"
    first = run(env, "members", "import", str(roster), "--passwords-out", str(passwords))
    assert "新增 2 人" in first.stdout and "拒绝 1 行" in first.stdout
    assert "第 4 行「手机号」“1234”" in first.stdout
    assert "尚未同步" in first.stdout  # no hub running: the data landed all the same
    (report,) = tmp_path.glob("名册.错误报告-*.xlsx")
    assert list(load_workbook(report).active.values)[1][0] == 4
    assert stat.S_IMODE(report.stat().st_mode) == 0o600  # it holds mobile numbers
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    sheet = list(load_workbook(passwords).active.values)
    assert sheet[0][:4] == ("姓名", "手机号", "用户名", "初始密码")
    assert {row[2] for row in sheet[1:]} == {"wangfang5678", "liuyang2345"}

    # never overwrite passwords already handed out
    again = run(env, "members", "import", str(roster), "--passwords-out", passwords, check=False)
    assert again.returncode == 1 and "已存在" in again.stderr
    again = run(env, "members", "import", str(roster))
    assert "新增 0 人，更新 0 人，未变 2 人" in again.stdout
    assert "初始密码" not in again.stdout


def test_a_bad_passwords_path_stops_before_any_account_is_made(env, tmp_path):
    roster = write_xlsx(tmp_path / "r.xlsx")
    result = run(
        env, "members", "import", roster, "--passwords-out", tmp_path / "no/dir/p.xlsx", check=False
    )
    assert result.returncode == 1 and "无法创建" in result.stderr
    assert "共 0 人" in run(env, "members", "list").stdout
    # an unreadable roster leaves no empty passwords file behind
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing here", encoding="utf-8")
    passwords = tmp_path / "p.xlsx"
    assert (
        run(env, "members", "import", bad, "--passwords-out", passwords, check=False).returncode
        == 1
    )
    assert not passwords.exists()


def test_dry_run_changes_nothing(env, tmp_path):
    roster = write_xlsx(tmp_path / "r.xlsx")
    preview = run(env, "members", "import", str(roster), "--dry-run").stdout
    assert "【试运行，未写入】新增 2 人" in preview
    assert "共 0 人" in run(env, "members", "list").stdout


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"PK\x03\x04 not really a zip", "Excel"),
        (b"", "空"),
        ("名字,电话\n王芳,13812345678\n".encode(), "表头"),
    ],
)
def test_an_unreadable_file_changes_nothing(env, tmp_path, content, reason):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    result = run(env, "members", "import", str(path), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("错误：") and reason in result.stderr
    assert "共 0 人" in run(env, "members", "list").stdout


def test_list_show_export_mask_mobiles_unless_asked(env, tmp_path):
    run(env, "members", "import", str(write_xlsx(tmp_path / "r.xlsx")))
    listing = run(env, "members", "list", "--association", "书协").stdout
    assert "138****5678" in listing and "13812345678" not in listing
    assert "刘洋" not in listing and "共 1 人" in listing
    records = json.loads(run(env, "members", "list", "--format", "json").stdout)
    assert {r["mobile"] for r in records} == {"138****5678", "139****2345"}
    full = json.loads(run(env, "members", "list", "--format", "json", "--show-mobile").stdout)
    assert {r["mobile"] for r in full} == {"13812345678", "13900012345"}
    csv_text = run(env, "members", "list", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "用户名,姓名,手机号,协会,状态"

    shown = run(env, "members", "show", "wangfang5678").stdout
    assert "王芳" in shown and "书协（理事）" in shown and "138****5678" in shown
    assert "wangfang5678" in run(env, "members", "show", "13812345678").stdout
    assert run(env, "members", "show", "nobody", check=False).returncode == 1
    unknown = run(
        env, "members", "export", tmp_path / "x.xlsx", "--association", "书法协会", check=False
    )
    assert unknown.returncode == 1 and "书协" in unknown.stderr  # with the near-miss suggestion
    assert "共 1 人" in run(env, "members", "list", "--association", "书法家协会").stdout

    export = tmp_path / "out.xlsx"
    run(env, "members", "export", str(export))
    rows = list(load_workbook(export).active.values)
    assert rows[0][:3] == ("用户名", "姓名", "手机号")
    assert {r[2] for r in rows[1:]} == {"138****5678", "139****2345"}


def test_deactivate_missing_and_user_deactivation(env, tmp_path):
    run(env, "members", "import", str(write_xlsx(tmp_path / "all.xlsx")))
    result = run(
        env,
        "members",
        "import",
        str(write_xlsx(tmp_path / "one.xlsx", ROWS[:1])),
        "--deactivate-missing",
    )
    assert "停用 1 人" in result.stdout
    assert "共 1 人" in run(env, "members", "list").stdout
    assert "已停用" in run(env, "members", "list", "--all").stdout
    # the account and the member record move together
    run(env, "users", "deactivate", "wangfang5678")
    assert "已停用" in run(env, "users", "list").stdout
    assert "共 0 人" in run(env, "members", "list").stdout
    run(env, "users", "activate", "wangfang5678")
    assert "共 1 人" in run(env, "members", "list").stdout
