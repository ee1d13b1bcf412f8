"""Trainers' own nbgrader assignments (issue 19) through a real hub: nbgrader's documentation
assignment ps1 as a platform course under ``pass: {quiz: 60}``, handed in through the
platform's exchange as a learner's folder, graded by the worker, and its written answers graded
by the trainer in the browser — each shown as the learner wrote it (Markdown rendered, code
highlighted, outputs), after its task, answers left unchanged listed too, nothing a learner
wrote able to run in the trainer's page.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from cluster import PS1_COURSE, PS1_MODULE, PS1_SOURCE, courses_with_ps1
from cluster import ps1_solved as solved  # the trainer's own notebooks, every answer written
from people import Person

from hubtest import BIN, Hub, login_page, run_code
from yiyuan.demo import DEMO_PASSWORD

# nbgrader's documentation assignment ps1 as a platform course (shared with the replica tests)
COURSE, MODULE, SOURCE = PS1_COURSE, PS1_MODULE, PS1_SOURCE
#: what 刘洋 writes in part A: words, and markup that must stay words
PART_A = (
    "**递归**地计算斐波那契数列。<script>window.hacked = 1</script>"
    '<img src="x" onerror="window.hacked = 2">'
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("grading-code")
    courses = courses_with_ps1(workdir)
    hub = Hub(workdir / "hub", {"courses_dir": str(courses)})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "check", COURSE)  # nbgrader's tests are the quiz: no problem
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    for learner in ("wangfang", "liuyang", "zhaolei"):
        hub.cli("courses", "enrol", COURSE, learner)
    hub.start()
    yield hub
    hub.stop()


def part_a_only(folder: Path) -> None:
    """The released version with part A of problem 2 written, everything else as released."""
    path = folder / "problem2.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "part-a"
    )
    cell.source = PART_A
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def handed_in(platform, tmp_path_factory):
    """王芳 hands in the solution, 刘洋 the released version with one answer written; both
    graded by the worker. Returns each one's result (with the submission's ``id``)."""
    folder = tmp_path_factory.mktemp("handed-in")
    results = {}
    for username, edit in (("wangfang", solved), ("liuyang", part_a_only)):
        person = Person(platform, username)
        submission = person.submit_module(folder, COURSE, MODULE, {}, edit)
        results[username] = {**person.wait_for_result(submission)["result"], "id": submission}
    return results


def test_the_quiz_is_nbgraders_tests_on_the_releases_points(handed_in):
    # every autograder test passes in the solution; none in the version handed in as released
    assert handed_in["wangfang"]["status"] == "passed" and handed_in["wangfang"]["score"] == 100
    assert handed_in["liuyang"]["status"] == "failed" and handed_in["liuyang"]["score"] == 0


@pytest.mark.browser
def test_the_trainer_grades_written_answers_as_written(chromium, platform, handed_in, artifacts):
    from playwright.sync_api import expect

    page = login_page(chromium, platform, "lihua")
    page.wait_for_url("**/services/yiyuan/**")
    page.goto(f"{platform.url}/services/yiyuan/grading/{COURSE}")
    solution = page.locator(".grading-item").filter(has_text="王芳")
    blocks = solution.locator(".reflection-block")
    # each manual item of ps1, by its kind, with the task it answers
    code = blocks.filter(has=page.locator(".answer-code"))
    expect(code.locator("h3")).to_contain_text("代码回答（满分 2 分）")
    expect(code.locator(".task")).to_contain_text("Find a usecase for your sum_of_squares")
    expect(code.locator(".answer-code .code")).to_contain_text("def pyramidal_number(n):")
    # highlighted: the keyword in its own element
    expect(code.locator(".answer-code .code .k").first).to_have_text("def")
    code.screenshot(path=artifacts / "grading-code-answer.png")  # docs/trainer.md shows it
    written = blocks.filter(has=page.locator(".answer-markdown"))
    assert written.count() >= 3  # the equation, problem 2's part A and part B
    expect(written.locator("h3").first).to_contain_text("书面回答")
    assert not page.get_by_text("学习心得（").count()  # no answer is called a reflection
    expect(page.locator("header strong")).to_contain_text("批改作业")  # not 批改学习心得
    # LaTeX in what the learner wrote (part C's $\sum_{i=1}^n i^2$) drawn by KaTeX, served
    # by the platform, not left as $…$
    expect(page.locator("html")).to_have_attribute("data-math-drawn", "1")
    answers = solution.locator(".answer-markdown")
    assert answers.locator(".katex").count() >= 2  # the equation, and x=0 in part A
    assert "$" not in "".join(answers.all_inner_texts())
    page.screenshot(path=artifacts / "grading-code.png", full_page=True)

    # 刘洋: part A as words (its markup escaped, nothing ran), part B listed though unchanged
    other = page.locator(".grading-item").filter(has_text="刘洋")
    part_a = other.locator(".reflection-block").filter(has_text="递归")
    expect(part_a.locator(".answer-markdown strong")).to_have_text("递归")
    expect(part_a.locator(".answer-markdown")).to_contain_text("<script>window.hacked = 1</script>")
    assert part_a.locator(".answer-markdown script, .answer-markdown img").count() == 0
    assert page.evaluate("window.hacked") is None
    unchanged = other.locator(".reflection-block").filter(has_text=re.compile("没有改动这一题"))
    assert unchanged.count() >= 1
    expect(unchanged.first.get_by_label("分数")).to_have_value("0")

    # the trainer's scores are saved as for any manual item
    for label, score in (("代码回答", "2"), ("书面回答", "1")):
        block = solution.locator(".reflection-block").filter(has_text=label).first
        block.get_by_label("分数").fill(score)
    for field in solution.get_by_label("分数").all():
        if not field.input_value():
            field.fill("1")
    solution.get_by_role("button", name="保存评分").click()
    expect(solution.locator(".message")).to_have_text("已保存。")
    page.reload()
    expect(page.locator(".grading-item").filter(has_text="王芳")).to_have_count(0)
    page.context.close()


@pytest.mark.browser
def test_the_learner_reads_which_check_failed_and_what_waits(
    chromium, platform, handed_in, artifacts
):
    from playwright.sync_api import expect

    page = login_page(chromium, platform, "liuyang")
    page.wait_for_url("**/services/yiyuan/**")
    page.goto(f"{platform.url}/services/yiyuan/feedback/{handed_in['liuyang']['id']}")
    checks = page.get_by_role("region", name="作业各项")
    failed = checks.locator("li.check.failed").filter(has_text="correct_squares")
    expect(failed).to_contain_text("0 / 1 分")
    expect(failed).to_contain_text("没有通过")
    # what the check said, not the check's code
    expect(failed.locator(".check-message")).to_contain_text("NotImplementedError")
    assert "assert squares(1)" not in checks.inner_text()
    expect(checks.locator("li.check").filter(has_text="part-a")).to_contain_text("待教师评阅")
    # an answer handed in as released: nbgrader's automatic 0, said in Chinese
    expect(checks.locator("li.check").filter(has_text="part-b")).to_contain_text(
        "未作答（与发下的版本相同），按 0 分计。"
    )
    assert "No response" not in page.inner_text("body")
    # one full page per notebook, each by its name
    for name in ("problem1", "problem2"):
        expect(page.get_by_role("link", name=f"查看批改原页（含课件全文）：{name}")).to_be_visible()
    expect(page.get_by_text("测验得分 0%")).to_be_visible()
    page.screenshot(path=artifacts / "feedback-code.png", full_page=True)
    page.context.close()


#: run in a notebook of the learner's own server, as she would type ``!nbgrader …``: the
#: released version first, then the solution (a resubmission); what each command said
IN_HER_SERVER = f"""
import shutil, subprocess
print("nbgrader:", shutil.which("nbgrader"))
def nbgrader(*args):
    done = subprocess.run(["nbgrader", *args], capture_output=True, text=True)
    print("exit", done.returncode, done.stderr.strip().splitlines()[-1])
nbgrader("fetch_assignment", "{MODULE}", "--course={COURSE}")
nbgrader("submit", "{MODULE}", "--course={COURSE}")
for name in ("problem1.ipynb", "problem2.ipynb"):
    shutil.copyfile("{SOURCE}/" + name, "{COURSE}/{MODULE}/" + name)
nbgrader("submit", "{MODULE}", "--course={COURSE}")
"""


def test_a_learner_fetches_and_submits_with_nbgrader_in_her_own_server(platform):
    """赵磊 works as nbgrader's students do, with nbgrader's own commands in her server (a
    full JupyterLab: the course has solution cells): the platform's nbgrader is on its PATH,
    fetch and submit go through the platform's exchange, and the released version and then
    the solution score as stock nbgrader scores them (0 and 100 % of the autograded points)."""
    browser = platform.browser()
    assert browser.login("zhaolei", DEMO_PASSWORD).ok
    assert browser.get("/hub/spawn").status_code == 200, platform.log()
    browser.wait_for_server("zhaolei")
    printed = run_code(platform, browser, "zhaolei", IN_HER_SERVER)
    assert f"nbgrader: {BIN / 'nbgrader'}" in printed, printed
    assert printed.count("exit 0") == 3, printed
    assert printed.count(f"Submitted as: {COURSE} {MODULE}") == 2, printed

    person = Person(platform, "zhaolei")
    submissions = person.call("GET", f"api/exchange/submissions?course_id={COURSE}").json()
    first, second = sorted(s["id"] for s in submissions["submissions"])
    assert person.wait_for_result(first)["grade"]["score"] == 0
    assert person.wait_for_result(second)["grade"]["score"] == 100
    # the best counts: passed on the solution under quiz: 60
    state = person.module_state(COURSE, MODULE)
    assert (state["status"], state["score"]) == ("passed", 100)
