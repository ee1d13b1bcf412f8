"""A new course from the template: a manifest and one lesson that shows every kind of content.

``new_course`` writes ``<root>/<code>.yml`` (with Chinese comments saying what to change), an
online module ``<root>/notebooks/<code>/diyike/diyike.ipynb`` (text, an image, a single-choice
question with its answer in an nbgrader hidden test cell, a reflection, a rating and the submit
button) and an on-site module with one session. The result passes ``yiyuan courses check`` and
publishes as it is, so a trainer starts from something that works and changes it step by step.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ..clock import local_zone
from ..errors import YiyuanError
from ..exchange.names import BadName, check_id

#: the manifest schema's course id (one character longer than a module id at least)
COURSE_ID = re.compile(r"^[a-z][a-z0-9-]{2,39}$")
#: the manifest schema's trainer user name
TRAINER = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
ONLINE, ONSITE = "diyike", "xianchang"
IMAGE = "images/example.svg"


class TemplateError(YiyuanError):
    """A course the template cannot create (Chinese message)."""


def new_course(root: Path, code: str, title: str, trainer: str) -> list[Path]:
    """Write a new course's sources below ``root``; the files written, manifest first.

    Refuses a bad code, title or trainer name, a course that already exists (manifest or lesson
    folder) and any path that would end up outside ``root``.
    """
    try:
        check_id(code, "课程代码")
    except BadName as error:
        raise TemplateError(str(error)) from None
    if not COURSE_ID.match(code):
        raise TemplateError(f"课程代码“{code}”太短：至少 3 个字符。")
    title = " ".join(str(title).split())
    if not 2 <= len(title) <= 60:
        raise TemplateError("课程标题应为 2–60 个字。")
    if not TRAINER.match(trainer or ""):
        raise TemplateError(
            f"教师用户名“{trainer}”无效：应为平台上的用户名（小写字母开头，字母、数字、_ 或 -）。"
        )
    root = Path(root).resolve()
    manifest = root / f"{code}.yml"
    folder = root / "notebooks" / code
    for path in (manifest, folder):
        if not path.resolve().is_relative_to(root):
            raise TemplateError(f"课程文件 {path} 不在课程目录 {root} 之内，已拒绝。")
    if manifest.exists() or folder.exists():
        raise TemplateError(
            f"课程 {code} 已经存在（{manifest.name} 或 notebooks/{code}/），没有覆盖：请换一个课程代码。"
        )
    online = folder / ONLINE
    online.joinpath("images").mkdir(parents=True)
    lesson = online / f"{ONLINE}.ipynb"
    image = online / IMAGE
    manifest.write_text(manifest_text(code, title, trainer), encoding="utf-8")
    nbformat.write(lesson_notebook(title), str(lesson))
    image.write_text(EXAMPLE_SVG, encoding="utf-8")
    return [manifest, lesson, image]


def manifest_text(code: str, title: str, trainer: str, today: date | None = None) -> str:
    """The manifest, as YAML text with comments (a YAML dump would drop them)."""
    starts = (today or datetime.now(local_zone()).date()) + timedelta(days=30)
    # 09:00 on that day with the platform's offset, e.g. 2027-01-16T09:00:00+08:00
    session_starts = datetime.combine(starts, time(9), local_zone()).isoformat()

    def q(value: str) -> str:  # a JSON string is a valid YAML double-quoted scalar
        return json.dumps(value, ensure_ascii=False)

    return f"""\
# 课程清单：{title}
# 这是由 yiyuan courses new 生成的模板。请按注释修改，改完后在“课程编写”页面点“检查”。
# 课件位于 notebooks/{code}/<单元代码>/
id: {code}              # 课程代码：发布后不要再改
title: {q(title)}
# 简介：学员在“我的学习”中看到的课程介绍（10–1000 字）
summary: {q(f"《{title}》的课程简介：请用两三句话写明本课讲什么、适合谁学、学完有什么收获。")}
# 类别：理论学习、专业技能、新媒体、志愿服务、艺术鉴赏 之一
category: 专业技能
# 教师：平台上的教师用户名，可以写几位，如 [lihua, zhouqing]
trainers: [{trainer}]
audience:
  # 面向哪些协会：“全部”，或写协会简称，如 [书协, 美协]
  associations: [全部]
# 报名方式：elective 选修（学员自行报名），required 必修（自动为面向的学员报名）
enrolment: elective
# 开放日期和截止日期（可以删去这两行）
# opens: "{starts.isoformat()}"
# due: "{(starts + timedelta(days=90)).isoformat()}"
# 迟交：不写则截止后不再接收；accept 接受并标记迟交；{{penalty: 10, days: 7}} 截止后 7 天内
# 接受，每迟交一天测验得分率扣 10 个百分点
# late: accept
# 结业证书：学员通过全部必修单元（结业）时自动颁发；不颁发请删去这一行或写 false。
# 也可以写 {{title: 培训证书, issuer: music}}（证书名称；颁发单位为配置项 certificates.issuers 中的 code）
certificate: true
modules:
  # 线上单元：课件在 notebooks/{code}/{ONLINE}/，学时按课程时长填写
  - id: {ONLINE}
    title: 第一课（请改为本课标题）
    kind: online
    hours: 1
    required: true
    # 通过规则：测验得分率不低于 60%，并提交学习心得（由教师评阅）；
    # 也可以写 total: 60（自动评分与教师评分合计不低于 60%，教师评完后判定）
    pass: {{quiz: 60, reflection: true}}
    # 本单元的截止日期（不写：用课程的截止日期）
    # due: "{(starts + timedelta(days=30)).isoformat()}"
    lessons: [{ONLINE}.ipynb]
  # 现场教学单元：没有课件，学员到场签到即通过；请填写地点和时间（本地时间）
  - id: {ONSITE}
    title: 现场教学（请改为活动名称）
    kind: onsite
    hours: 3
    required: false
    pass: {{attendance: true}}
    session: {{place: 请填写地点, starts: "{session_starts}", hours: 3}}
"""


def _readonly(grade_id: str) -> dict:
    return {
        "nbgrader": {
            "grade": False,
            "grade_id": grade_id,
            "locked": True,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    }


def lesson_notebook(title: str) -> nbformat.NotebookNode:
    """The example lesson: each cell says in Chinese what it is for and what to change."""
    hidden_test = {"nbgrader": {**_readonly("q1-check")["nbgrader"], "grade": True, "points": 1}}
    reflection_task = {
        "nbgrader": {**_readonly("r1-task")["nbgrader"], "grade": True, "points": 2, "task": True}
    }
    cells = [
        new_markdown_cell(
            f"# 第一课　{title}\n\n"
            "这里是课件正文，学员看到的就是这样排版好的文字。请把这段话换成您的讲解："
            "可以用标题、段落、列表、**加粗**和表格。\n\n"
            "**学习目标**\n\n1. 第一个目标；\n2. 第二个目标。"
        ),
        new_code_cell(
            "# 准备单元格：保留不动。学员看不到任何代码，只看到文字、图片和题目。\n"
            "from yiyuan.lesson import Lesson\n\n"
            "lesson = Lesson()",
            metadata=_readonly("setup"),
        ),
        new_markdown_cell("## 一、看图\n\n图片放在本单元文件夹的 images/ 里，用下面的写法显示。"),
        new_code_cell(
            "# 图片：把 example.svg 换成您的图片（png、jpg、svg，10 MB 以内），caption 是图下的说明\n"
            f'lesson.image("{IMAGE}", caption="图 1：示例图片（请换成您的图片和说明）")',
            metadata=_readonly("fig-1"),
        ),
        new_markdown_cell("## 随堂测验\n\n下面是一道单选题的例子，选对得 1 分。"),
        new_code_cell(
            "# 单选题：题号 q1、题目文字、选项列表。题目和选项里不要写出答案。\n"
            'lesson.single_choice("q1", "1．示例题：下列哪一项是本课的主题？", '
            '["选项甲", "选项乙", "选项丙"])',
            metadata=_readonly("q1-ask"),
        ),
        new_code_cell(
            "### BEGIN HIDDEN TESTS\n"
            "# 隐藏测试：写正确答案（与选项文字完全相同）。发布时这几行会被删掉，学员看不到。\n"
            "from yiyuan.lesson.grading import expect\n"
            'expect("q1", "选项乙")\n'
            "### END HIDDEN TESTS",
            metadata=hidden_test,
        ),
        new_markdown_cell(
            "## 学习心得（2 分，由教师评阅）\n\n"
            "请写明心得的要求，例如：结合自己的创作实践，谈谈本课的收获。不少于 50 字。",
            metadata=reflection_task,
        ),
        new_code_cell(
            "# 学习心得：min_length 是最少字数\n"
            'lesson.reflection("r1", "请写下您的学习心得（不少于 50 字）：", min_length=50)',
            metadata=_readonly("r1-write"),
        ),
        new_code_cell(
            '# 课程评价（不计分）：可以删去\nlesson.rating("s1", "您对本课的满意度")',
            metadata=_readonly("s1-rate"),
        ),
        new_markdown_cell("## 提交\n\n请检查各题是否都已作答，然后点击下面的按钮提交。"),
        new_code_cell(
            "# 提交按钮：放在最后，保留不动\nlesson.submit_button()",
            metadata=_readonly("submit"),
        ),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata.update(
        kernelspec={
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        language_info={"name": "python"},
    )
    return notebook


EXAMPLE_SVG = """\
<svg xmlns="http://www.w3.org/2000/svg" width="480" height="240" viewBox="0 0 480 240">
  <rect width="480" height="240" fill="#f7f5f0" stroke="#8c1c13" stroke-width="4"/>
  <text x="240" y="130" font-size="36" text-anchor="middle" fill="#8c1c13"
        font-family="Noto Sans CJK SC, sans-serif">示例图片</text>
</svg>
"""
