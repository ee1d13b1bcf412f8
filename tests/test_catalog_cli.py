"""``yiyuan courses publish / enrol`` and ``yiyuan completion``: the first publish through the
real command, the rest in-process with click's runner (each ``yiyuan`` process spends seconds
importing jsonschema and pypinyin before it starts)."""

from __future__ import annotations

import os
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from hubtest import ROOT, yiyuan
from learningdata import grade, submit
from yiyuan.cli import cli, main
from yiyuan.db import Database, migrate
from yiyuan.demo import seed_demo
from yiyuan.models import Account, Module

#: runs kernels or nbgrader: make test-fast leaves it out (pytest.ini)
pytestmark = pytest.mark.kernel

COURSE = "ershida-wenyi"


@pytest.fixture
def db_url(tmp_path):
    # SQLite only: the same publish runs on both databases in test_catalog_publish.py
    return f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"


@pytest.fixture
def env(tmp_path, db_url):
    courses = tmp_path / "courses"
    (courses / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "courses" / f"{COURSE}.yml", courses)
    shutil.copytree(ROOT / "courses" / "notebooks" / COURSE, courses / "notebooks" / COURSE)
    (tmp_path / "yiyuan.yml").write_text("courses_dir: courses\ncity: 深圳市\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env.update(
        YIYUAN_CONFIG=str(tmp_path / "yiyuan.yml"),
        YIYUAN_DATA_DIR=str(tmp_path / "data"),
        YIYUAN_DB_URL=db_url,
    )
    database = Database(db_url)
    migrate.upgrade(database)
    with database.session() as session:
        seed_demo(session, "深圳市")
    database.dispose()
    return env


def run(env, *args, check=True):
    main(register_only=True)
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    if check:
        assert result.exit_code == 0, result.output
    return result


def fails(env, *args, fragments=()):
    result = run(env, *args, check=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：") and result.stderr.count("\n") == 1
    for fragment in fragments:
        assert fragment in result.stderr
    return result


def test_publish_enrol_recompute_show(env):
    fails(env, "courses", "publish", fragments=["--all"])
    fails(env, "courses", "publish", COURSE, "--all", fragments=["二者选一"])
    fails(env, "courses", "enrol", COURSE, "wangfang", fragments=["尚未发布"])

    out = yiyuan("courses", "publish", COURSE, "--actor", "admin", env=env).stdout
    assert f"✓ {COURSE} 学习贯彻党的二十大精神·文艺专题（第 1 次发布）" in out
    assert "新发布：wenhua-zixin（第 1 版）、renmin-daoxiang（第 1 版）" in out
    assert "现场教学：xianchang-shijian" in out
    assert "必修课，新报名学员：4 人" in out  # the four demo learners
    assert out.rstrip().endswith("1 门课程已发布。")

    again = run(env, "courses", "publish", "--all", "--actor", "admin").stdout
    assert "未变化：wenhua-zixin、renmin-daoxiang、shouzheng-chuangxin" in again
    assert "新报名学员：0 人" in again

    refused = fails(env, "courses", "publish", "nope", fragments=["1 门课程没有发布"])
    assert "✗ nope：" in refused.stdout and "找不到课程 nope" in refused.stdout

    assert "wangfang（王芳）已报名课程" in run(env, "courses", "enrol", COURSE, "wangfang").stdout
    out = run(env, "courses", "enrol", COURSE, "zhouqing").stdout
    assert out.startswith(f"已为 zhouqing（周青老师）报名课程 {COURSE}")
    fails(env, "courses", "enrol", COURSE, "nobody", fragments=["nobody"])

    # wangfang's first module is graded: recompute credits it
    database = Database(env["YIYUAN_DB_URL"])
    with database.session() as session:
        wangfang = session.scalar(select(Account).where(Account.username == "wangfang"))
        module = session.scalar(select(Module).where(Module.code == "wenhua-zixin"))
        grade(session, submit(session, wangfang, module), auto=(3, 4))
    database.dispose()
    out = run(env, "completion", "recompute").stdout
    assert (
        out.strip() == "已重新计算：1 个单元结果有变化，计入学时 1 笔，冲销 0 笔，新完成课程 0 门。"
    )
    out = run(env, "completion", "recompute", "--course", COURSE).stdout
    assert "0 个单元结果有变化" in out
    fails(env, "completion", "recompute", "--course", "nope", fragments=["找不到已发布的课程 nope"])

    shown = run(env, "completion", "show", "wangfang").stdout.splitlines()
    assert shown[0] == "王芳（wangfang）本年度学时：1"
    assert shown[1] == f"{COURSE} 学习贯彻党的二十大精神·文艺专题（必修，1/4 个单元已通过）"
    assert shown[2].split() == [
        "wenhua-zixin",
        "已通过",
        "得分率",
        "75%",
        "1",
        "学时",
        "文化自信自强",
    ]
    assert shown[3].split()[:3] == ["renmin-daoxiang", "未开始", "-"]
    out = run(env, "completion", "show", "lihua").stdout
    assert "尚未报名任何课程。" in out
    fails(env, "completion", "show", "nobody", fragments=["nobody"])
