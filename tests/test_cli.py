"""The real ``yiyuan`` command: what administrators type, and the errors they may meet."""

import os

import pytest

from hubtest import yiyuan
from yiyuan.db import Database, migrate


@pytest.fixture
def env(tmp_path, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env["YIYUAN_DATA_DIR"] = str(tmp_path / "data")
    env["YIYUAN_DB_URL"] = db_url
    return env


def run(env, *args, stdin="", check=True):
    return yiyuan(*args, env=env, stdin=stdin, check=check)


def assert_one_sentence(result, *fragments):
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("错误：")
    for fragment in fragments:
        assert fragment in result.stderr


def test_upgrade_is_repeatable_and_reports_the_version(env):
    head = migrate.head_revision(Database(env["YIYUAN_DB_URL"]))
    assert f"已是版本 {head}" in run(env, "db", "upgrade").stdout
    assert f"已是版本 {head}" in run(env, "db", "upgrade").stdout
    assert f"当前版本：{head}" in run(env, "db", "current").stdout


def test_users_lifecycle(env):
    run(env, "db", "upgrade")
    created = run(env, "users", "create", "zhangsan", "--name", "张三")
    assert "初始密码：" in created.stdout
    run(env, "users", "set-password", "zhangsan", stdin="Chunfeng-88\n")
    assert "待改密码" in run(env, "users", "list").stdout
    run(env, "users", "set-password", "zhangsan", "--permanent", stdin="Chunfeng-88\n")
    listing = run(env, "users", "list").stdout
    assert "zhangsan" in listing and "张三" in listing and "正常" in listing
    assert "已解锁 zhangsan" in run(env, "users", "unlock", "zhangsan").stdout


def test_users_bad_input(env):
    run(env, "db", "upgrade")
    assert_one_sentence(run(env, "users", "unlock", "nobody", check=False), "nobody")
    assert_one_sentence(
        run(env, "users", "set-password", "nobody", stdin="Chunfeng-88\n", check=False), "nobody"
    )
    run(env, "users", "create", "zhangsan", "--name", "张三")
    assert_one_sentence(
        run(env, "users", "set-password", "zhangsan", stdin="123\n", check=False), "至少"
    )
    assert_one_sentence(run(env, "users", "set-password", "zhangsan", check=False), "标准输入")
    assert_one_sentence(
        run(env, "users", "create", "张三", "--name", "张三", check=False), "不可用"
    )
    assert_one_sentence(
        run(env, "users", "create", "chen", "--name", "陈", "--role", "manager", check=False),
        "--association",
    )


def test_commands_refuse_an_unmigrated_database(env):
    assert_one_sentence(run(env, "users", "list", check=False), "yiyuan db upgrade")
    assert_one_sentence(run(env, "demo", "seed", check=False), "yiyuan db upgrade")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_settings_errors_are_one_sentence(env, tmp_path):
    env["YIYUAN_CONFIG"] = str(tmp_path / "missing.yml")
    assert_one_sentence(run(env, "db", "upgrade", check=False), "YIYUAN_CONFIG")
    bad = tmp_path / "bad.yml"
    bad.write_text("hub:\n  port: [\n", encoding="utf-8")
    env["YIYUAN_CONFIG"] = str(bad)
    assert_one_sentence(run(env, "db", "upgrade", check=False), "YAML")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unreachable_database_is_one_sentence(env):
    env["YIYUAN_DB_URL"] = "postgresql://yiyuan:secret@127.0.0.1:9/yiyuan"
    result = run(env, "db", "upgrade", check=False)
    assert_one_sentence(result, "无法连接数据库", "YIYUAN_DB_URL")
    assert "secret" not in result.stderr
