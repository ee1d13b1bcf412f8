"""The course checker on a good course and on every kind of broken one."""

import os

import nbformat
import pytest
import yaml

from hubtest import yiyuan
from yiyuan.courses.check import check_course, check_courses
from yiyuan.members.matching import standard_matcher

MATCHER = standard_matcher("深圳市")


def manifest(**changes):
    data = {
        "id": "shiyan-kecheng",
        "title": "试验课程",
        "summary": "用于检查课程检查器的一门小课程。",
        "category": "艺术鉴赏",
        "trainers": ["lihua"],
        "audience": {"associations": ["书协", "深圳市美术家协会"]},
        "enrolment": "elective",
        "opens": "2026-12-01",
        "due": "2027-03-31",
        "modules": [
            {
                "id": "m1",
                "title": "第一单元",
                "kind": "online",
                "hours": 1,
                "required": True,
                "pass": {"quiz": 60, "reflection": True},
                "lessons": ["m1.ipynb"],
            },
            {
                "id": "xianchang",
                "title": "现场教学",
                "kind": "onsite",
                "hours": 3,
                "required": False,
                "pass": {"attendance": True},
            },
        ],
    }
    data.update(changes)
    return data


def cell(source, grade_id=None, hidden=False, task=False, kind="code"):
    made = (
        nbformat.v4.new_code_cell(source)
        if kind == "code"
        else nbformat.v4.new_markdown_cell(source)
    )
    if grade_id:
        made.metadata["nbgrader"] = {
            "grade": hidden or task,
            "grade_id": grade_id,
            "locked": True,
            "points": 1 if hidden or task else 0,
            "schema_version": 3,
            "solution": False,
            "task": task,
        }
    return made


def lesson(*extra_cells, key='expect("q1", "乙")'):
    cells = [
        cell("## 第一课\n正文。", kind="markdown"),
        cell("from yiyuan.lesson import Lesson\nlesson = Lesson()", grade_id="setup"),
        cell('lesson.single_choice("q1", "哪一个？", ["甲", "乙", "丙"])', grade_id="q1"),
        cell(
            "### BEGIN HIDDEN TESTS\nfrom yiyuan.lesson.grading import expect\n"
            f"{key}\n### END HIDDEN TESTS",
            grade_id="q1-check",
            hidden=True,
        ),
        cell("请写心得。", grade_id="r1-task", task=True, kind="markdown"),
        cell('lesson.reflection("r1", "心得", min_length=50)', grade_id="r1"),
        *extra_cells,
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return notebook


def write_course(root, data=None, notebook=None, raw_notebook=None):
    data = data or manifest()
    path = root / f"{data.get('id', 'shiyan-kecheng')}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    folder = root / "notebooks" / data.get("id", "shiyan-kecheng") / "m1"
    folder.mkdir(parents=True, exist_ok=True)
    if raw_notebook is not None:
        (folder / "m1.ipynb").write_text(raw_notebook, encoding="utf-8")
    elif notebook is not False:
        nbformat.write(notebook or lesson(), folder / "m1.ipynb")
    return path


def messages(path):
    return [str(p) for p in check_course(path, MATCHER).problems]


def test_a_good_course_has_no_problems(tmp_path):
    result = check_course(write_course(tmp_path), MATCHER)
    assert result.problems == []
    assert result.course.hours == 4 and [m.id for m in result.course.modules] == ["m1", "xianchang"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": None}, "“标题”"),
        ({"category": "体育"}, "可选：理论学习"),
        ({"enrolment": "maybe"}, "“报名方式”"),
        ({"opens": "2026-13-01"}, "不是有效的日期"),
        ({"audience": {"associations": ["书法协会"]}}, "书协"),
        ({"due": "2026-11-01"}, "截止日期早于开放日期"),
        ({"colour": "红"}, "未知的字段：colour"),
        ({"id": "Bad Id"}, "格式不对"),
    ],
)
def test_manifest_problems_name_the_field(tmp_path, changes, expected):
    data = manifest(**changes)
    data = {k: v for k, v in data.items() if v is not None}
    problems = messages(write_course(tmp_path, data))
    assert any(expected in p for p in problems), problems


def test_missing_required_field_is_named(tmp_path):
    data = manifest()
    del data["trainers"]
    assert any("缺少必填项“教师”" in p for p in messages(write_course(tmp_path, data)))


def test_module_problems(tmp_path):
    data = manifest()
    data["modules"][1]["id"] = "m1"  # duplicate id
    data["modules"][0]["hours"] = 1.2  # not a half hour
    data["modules"][1]["lessons"] = ["x.ipynb"]  # on-site with lessons
    problems = messages(write_course(tmp_path, data))
    assert any("半小时" in p for p in problems), problems
    assert any("不应列出课件" in p for p in problems), problems


def test_duplicate_module_ids(tmp_path):
    data = manifest()
    data["modules"][1]["id"] = "m1"
    assert any("单元代码 m1 重复" in p for p in messages(write_course(tmp_path, data)))


def test_missing_notebook(tmp_path):
    problems = messages(write_course(tmp_path, notebook=False))
    assert any("找不到课件 notebooks/shiyan-kecheng/m1/m1.ipynb" in p for p in problems)


def test_notebook_with_invalid_json(tmp_path):
    problems = messages(write_course(tmp_path, raw_notebook='{"cells": [}'))
    assert any("m1.ipynb（第 1 行" in p and "不是有效的 JSON" in p for p in problems), problems


def test_duplicate_grade_id(tmp_path):
    notebook = lesson(cell("x = 1", grade_id="q1"))
    problems = messages(write_course(tmp_path, notebook=notebook))
    assert any("grade_id “q1” 重复了 2 次" in p for p in problems), problems


def test_quiz_with_no_correct_option(tmp_path):
    notebook = lesson(cell('lesson.single_choice("q2", "再一题", ["甲", "乙"])', grade_id="q2"))
    problems = messages(write_course(tmp_path, notebook=notebook))
    assert any("题目 q2 没有正确答案" in p and "第 7 个单元格" in p for p in problems), problems


def test_answer_not_among_options(tmp_path):
    problems = messages(write_course(tmp_path, notebook=lesson(key='expect("q1", "丁")')))
    assert any("答案 '丁' 不在选项中" in p for p in problems), problems


def test_answer_outside_hidden_tests_is_a_leak(tmp_path):
    notebook = lesson(
        cell('from yiyuan.lesson.grading import expect\nexpect("q1", "乙")', grade_id="leak")
    )
    problems = messages(write_course(tmp_path, notebook=notebook))
    assert any("只能写在隐藏测试中" in p for p in problems), problems


def test_pass_rule_needs_what_it_names(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[cell("只有正文。", kind="markdown")])
    problems = messages(write_course(tmp_path, notebook=notebook))
    assert any("没有测验题" in p for p in problems)
    assert any("没有学习心得" in p for p in problems)


def test_id_must_match_the_file_name(tmp_path):
    path = write_course(tmp_path)
    renamed = path.with_name("lingyige.yml")
    path.rename(renamed)
    assert any("应与文件名 lingyige 相同" in p for p in messages(renamed))


def test_broken_yaml(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("id: [oops\n", encoding="utf-8")
    (problem,) = check_course(path, MATCHER).problems
    assert "不是有效的 YAML" in problem.message and problem.where.startswith("第")


def test_unknown_course_id(tmp_path):
    (result,) = check_courses(tmp_path, MATCHER, ["nothing"])
    assert "找不到课程 nothing" in str(result.problems[0])


def test_cli_exit_codes(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    env["YIYUAN_DATA_DIR"] = str(tmp_path / "data")
    (tmp_path / "yiyuan.yml").write_text(
        f"city: 深圳市\ncourses_dir: {tmp_path / 'c'}\n", encoding="utf-8"
    )
    env["YIYUAN_CONFIG"] = str(tmp_path / "yiyuan.yml")
    (tmp_path / "c").mkdir()
    write_course(tmp_path / "c")
    good = yiyuan("courses", "check", env=env)
    assert "✓ shiyan-kecheng 试验课程" in good.stdout and "1 门课程检查通过" in good.stdout
    write_course(tmp_path / "c", notebook=lesson(key='expect("q1", "丁")'))
    bad = yiyuan("courses", "check", "shiyan-kecheng", env=env, check=False)
    assert bad.returncode == 1 and "不在选项中" in bad.stdout and bad.stderr.startswith("错误：")


def test_question_ids_are_unique_across_a_module(tmp_path):
    data = manifest()
    data["modules"][0]["lessons"] = ["m1.ipynb", "m1b.ipynb"]
    path = write_course(tmp_path, data)
    second = lesson()
    for made in second.cells:  # same questions, other grade ids
        if "nbgrader" in made.metadata:
            made.metadata["nbgrader"]["grade_id"] += "-b"
    nbformat.write(second, tmp_path / "notebooks" / "shiyan-kecheng" / "m1" / "m1b.ipynb")
    problems = messages(path)
    assert any("题号 q1 与本单元其他课件重复" in p for p in problems), problems


@pytest.mark.parametrize(("points", "refused"), [(2, False), (0, True)])
def test_nbgraders_autograder_tests_are_a_quiz(tmp_path, points, refused):
    """A trainer's own nbgrader assignment: a solution cell and a test with points is a quiz
    for ``pass: {quiz: N}``; a test worth nothing is not."""
    answer = cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "grade_id": "double", "locked": False,
                                   "schema_version": 3, "solution": True, "task": False}  # fmt: skip
    test = cell("assert double(2) == 4", grade_id="double-test")
    test.metadata["nbgrader"].update(grade=True, points=points)
    notebook = nbformat.v4.new_notebook(cells=[cell("## 作业", kind="markdown"), answer, test])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    data = manifest()
    data["modules"][0]["pass"] = {"quiz": 60}
    problems = messages(write_course(tmp_path, data=data, notebook=notebook))
    assert any("没有测验题" in p for p in problems) is refused, problems


def test_due_dates_per_module_and_the_late_policy(tmp_path):
    data = manifest(late={"penalty": 10, "days": 7})
    data["modules"][0]["due"] = "2027-01-15"
    result = check_course(write_course(tmp_path, data), MATCHER)
    assert result.problems == []
    assert str(result.course.modules[0].due) == "2027-01-15" and result.course.late["penalty"] == 10


@pytest.mark.parametrize(
    ("late", "module_due", "expected"),
    [
        ("sometimes", None, "值 'sometimes' 无效，可选：refuse、accept"),
        ({"penalty": 0}, None, "应大于 0"),
        ({"penalty": 10, "weeks": 1}, None, "未知的字段：weeks"),
        ({"policy": "penalty"}, None, "请写出每天扣几个百分点"),
        ({"policy": "accept", "penalty": 5}, None, "请删去 penalty"),
        ({"policy": "refuse", "days": 3}, None, "不需要迟交天数"),
        (None, "2027-04-01", "单元的截止日期晚于课程的截止日期 2027-03-31"),
        (None, "2026-11-30", "单元的截止日期早于课程的开放日期 2026-12-01"),
        (None, "2027-13-01", "不是有效的日期"),
    ],
)
def test_due_date_and_late_policy_problems(tmp_path, late, module_due, expected):
    data = manifest() if late is None else manifest(late=late)
    if module_due:
        data["modules"][0]["due"] = module_due
    problems = messages(write_course(tmp_path, data))
    assert any(expected in p for p in problems), problems


def test_a_late_policy_without_any_due_date_is_flagged(tmp_path):
    data = manifest(late="accept")
    del data["due"]
    assert any("迟交的设置不起作用" in p for p in messages(write_course(tmp_path, data)))
    data["modules"][1]["due"] = "2027-01-01"  # and on-site work has no due date
    assert any("现场教学单元没有截止日期" in p for p in messages(write_course(tmp_path, data)))


def test_images_no_player_could_show_are_named(tmp_path):
    notebook = lesson(
        cell("![标志](logo.png) 和 ![](/srv/secret.png)", kind="markdown"),
        cell("![](https://example.org/a.png) ![](fig.png)", kind="markdown"),
    )
    path = write_course(tmp_path, notebook=notebook)
    (path.parent / "notebooks" / "shiyan-kecheng" / "m1" / "fig.png").write_bytes(b"\x89PNG")
    problems = messages(path)
    assert [p for p in problems if "图片" in p] == [
        p for p in problems if "logo.png 无法显示" in p or "/srv/secret.png 无法显示" in p
    ]
    assert len([p for p in problems if "无法显示" in p]) == 2, problems
    (path.parent / "notebooks" / "shiyan-kecheng" / "m1" / "logo.png").write_bytes(b"\x89PNG")
    assert len([p for p in messages(path) if "无法显示" in p]) == 1


def test_a_total_rule_needs_graded_points(tmp_path):
    data = manifest()
    data["modules"][0]["pass"] = {"total": 60}
    plain = nbformat.v4.new_notebook(cells=[cell("只有文字，没有评分", kind="markdown")])
    problems = messages(write_course(tmp_path, data, plain))
    assert any("通过规则要求总分" in p for p in problems), problems
    # the platform's own questions and reflections carry points: a total can be counted
    assert not any("通过规则要求总分" in p for p in messages(write_course(tmp_path, data)))
