"""Authoring: the course template (checked and published for real), the preview's student
version, the upload endpoint through one real hub (who may upload, what is refused, history),
and the author page in a trainer's real single-user server with a Voila preview.
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tarfile as _tarfile
from pathlib import Path

import people
import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from hubtest import ROOT, Hub, free_port
from learningdata import account
from yiyuan.authoring import preview, previewmode, upload
from yiyuan.authoring.template import TemplateError, new_course
from yiyuan.catalog.publish import publish
from yiyuan.cli import cli, main
from yiyuan.courses.check import check_course
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange import archives
from yiyuan.members.matching import standard_matcher
from yiyuan.models import Course, Role
from yiyuan.settings import load_settings
from yiyuan.storage import LocalStorage

CODE = "shiyan-kecheng"


@pytest.fixture
def db_url(tmp_path):
    # SQLite only: publishing itself runs on both databases in test_catalog_publish.py
    return f"sqlite:///{tmp_path / 'yiyuan.sqlite'}"


def test_template_passes_the_checker_and_publishes(database, tmp_path):
    courses = tmp_path / "courses"
    files = new_course(courses, CODE, "试验课程", "lihua")
    assert [p.relative_to(courses).as_posix() for p in files] == [
        f"{CODE}.yml",
        f"notebooks/{CODE}/diyike/diyike.ipynb",
        f"notebooks/{CODE}/diyike/images/example.svg",
    ]
    manifest = files[0].read_text("utf-8")
    assert "# 教师：" in manifest and "trainers: [lihua]" in manifest  # Chinese comments
    checked = check_course(files[0], standard_matcher("深圳市"))
    assert checked.problems == [] and [m.kind for m in checked.course.modules] == [
        "online",
        "onsite",
    ]
    settings = dataclasses.replace(
        load_settings({}, cwd=tmp_path), data_dir=tmp_path / "data", courses_dir=courses
    )
    with database.session() as session:
        account(session, "lihua", role=Role.trainer)
        report = publish(settings, session, LocalStorage(settings.exchange_dir), CODE, "lihua")
    assert (report.released, report.onsite) == ([("diyike", 1)], ["xianchang"])
    release = settings.exchange_dir / "releases" / CODE / "diyike" / "1.tar.gz"
    with tarfile.open(release) as archive:
        names = archive.getnames()
        lesson = archive.extractfile("diyike.ipynb").read().decode()
    assert "images/example.svg" in names
    assert "lesson.single_choice" in lesson and "expect(" not in lesson
    with database.session() as session:
        course = session.scalar(select(Course).where(Course.code == CODE))
        assert [m.reflections for m in course.modules if m.code == "diyike"] == [["r1"]]


def test_template_refuses_bad_codes_and_existing_courses(tmp_path):
    for code in ("Shufa", "a", "ab", "../x", "shu fa", "书法"):
        with pytest.raises(TemplateError, match="课程代码"):
            new_course(tmp_path, code, "试验课程", "lihua")
    with pytest.raises(TemplateError, match="标题"):
        new_course(tmp_path, CODE, "试", "lihua")
    with pytest.raises(TemplateError, match="教师用户名"):
        new_course(tmp_path, CODE, "试验课程", "Li Hua")
    new_course(tmp_path, CODE, "试验课程", "lihua")
    before = (tmp_path / f"{CODE}.yml").read_text("utf-8")
    with pytest.raises(TemplateError, match="已经存在"):
        new_course(tmp_path, CODE, "另一门课", "lihua")
    assert (tmp_path / f"{CODE}.yml").read_text("utf-8") == before
    # a lesson folder without its manifest counts as existing too
    (tmp_path / "notebooks" / "yiban").mkdir(parents=True)
    with pytest.raises(TemplateError, match="已经存在"):
        new_course(tmp_path, "yiban", "试验课程", "lihua")
    # a workspace whose notebooks folder leads elsewhere
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    (root / "notebooks").symlink_to(outside)
    with pytest.raises(TemplateError, match="之内"):
        new_course(root, CODE, "试验课程", "lihua")
    assert list(outside.iterdir()) == []


def test_cli_new_writes_the_course_and_says_what_next(tmp_path):
    main(register_only=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
    (tmp_path / "yiyuan.yml").write_text(f"courses_dir: {tmp_path / 'c'}\n", "utf-8")
    env.update(YIYUAN_CONFIG=str(tmp_path / "yiyuan.yml"), YIYUAN_DATA_DIR=str(tmp_path / "data"))
    runner = CliRunner()
    args = ["courses", "new", CODE, "--title", "试验课程", "--trainer", "lihua"]
    result = runner.invoke(cli, [*args, "--dir", str(tmp_path / "w")], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w" / f"{CODE}.yml").is_file()
    assert "yiyuan courses check" in result.output and "预览" in result.output
    again = runner.invoke(cli, [*args, "--dir", str(tmp_path / "w")], env=env)
    assert again.exit_code == 1 and "已经存在" in again.output
    default = runner.invoke(cli, args, env=env)  # settings.courses_dir
    assert default.exit_code == 0, default.output
    assert (tmp_path / "c" / f"{CODE}.yml").is_file()
    checked = runner.invoke(cli, ["courses", "check", CODE], env=env)
    assert checked.exit_code == 0 and "1 门课程检查通过" in checked.output, checked.output


def test_preview_is_the_student_version_and_refuses_to_submit(tmp_path):
    courses = tmp_path / "courses"
    new_course(courses, CODE, "试验课程", "lihua")
    source = courses / "notebooks" / CODE / "diyike"
    (source / "answers.json").write_text('{"answers": {"q1": "选项乙"}}', "utf-8")
    folder = preview.build_preview(courses, tmp_path / "yiyuan-preview", CODE, "diyike")
    assert folder == tmp_path / "yiyuan-preview" / CODE / "diyike"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "diyike.ipynb",
        "images/example.svg",
    ]
    notebook = json.loads((folder / "diyike.ipynb").read_text("utf-8"))
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert "预览模式" in sources[0] and "previewmode" in sources[1]
    joined = "\n".join(sources)
    assert "expect(" not in joined and "BEGIN HIDDEN TESTS" not in joined
    assert "lesson.single_choice" in joined

    # the previewed lesson's submit button says 预览模式 instead of submitting
    script = (
        "import os, json\n"
        "os.environ['YIYUAN_SERVICE_URL'] = 'http://127.0.0.1:9/services/yiyuan'\n"
        "os.environ['JUPYTERHUB_API_TOKEN'] = 'x'\n"
        "from yiyuan.authoring.previewmode import enable\n"
        "enable()\n"
        "from yiyuan.lesson import Lesson\n"
        f"lesson = Lesson(folder={str(folder)!r})\n"
        "lesson.single_choice('q1', '题', ['选项甲', '选项乙'])\n"
        "lesson.widgets['q1'].value = '选项乙'\n"
        "print(json.dumps(lesson.submit().message, ensure_ascii=False))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == previewmode.PREVIEW_SUBMIT

    # a broken lesson is a Chinese refusal, not a traceback
    (source / "diyike.ipynb").write_text("{ not json", "utf-8")
    with pytest.raises(preview.PreviewError, match="不是有效的 Jupyter 笔记本"):
        preview.build_preview(courses, tmp_path / "yiyuan-preview", CODE, "diyike")
    assert (folder / "diyike.ipynb").is_file()  # the previous preview is left as it was
    with pytest.raises(preview.PreviewError, match="不存在"):
        preview.build_preview(courses, tmp_path / "yiyuan-preview", CODE, "no-such")


def test_upload_packs_only_the_course(tmp_path):
    new_course(tmp_path, CODE, "试验课程", "lihua")
    new_course(tmp_path, "qita-kecheng", "其他课程", "lihua")
    lesson = tmp_path / "notebooks" / CODE / "diyike"
    (lesson / "answers.json").write_text("{}", "utf-8")
    (lesson / ".ipynb_checkpoints").mkdir()
    (lesson / ".ipynb_checkpoints" / "diyike-checkpoint.ipynb").write_text("{}", "utf-8")
    files = archives.check(upload.pack_sources(tmp_path, CODE), 10**7)
    assert sorted(map(str, files)) == sorted(
        [
            f"{CODE}.yml",
            f"notebooks/{CODE}/diyike/diyike.ipynb",
            f"notebooks/{CODE}/diyike/images/example.svg",
        ]
    )


def test_the_author_page_loads_nothing_heavy():
    script = (
        "import sys, yiyuan.authoring.server\n"
        "print(sorted(m for m in sys.modules if m.startswith(('yiyuan.models', 'yiyuan.db', "
        "'nbgrader', 'sqlalchemy'))))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- through a real hub ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    service_port = free_port()
    hub = Hub(
        tmp_path_factory.mktemp("authoring"),
        # 1 MB uploads: the oversized upload stays small
        {
            "courses_dir": str(ROOT / "courses"),
            "service": {"max_release_mb": 1, "port": service_port},
        },
    )
    hub.service_port = service_port
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    yield hub
    hub.stop()


class Person(people.Person):
    def upload(self, code: str, data: bytes) -> requests.Response:
        path = f"api/authoring/courses/{code}/sources"
        return self.call("POST", path, {"Content-Type": "application/gzip"}, data=data)


@pytest.fixture(scope="module")
def people(platform):
    return {n: Person(platform, n) for n in ("lihua", "zhouqing", "wangfang", "admin")}


def workspace(tmp_path: Path, code: str, trainer: str = "lihua") -> Path:
    new_course(tmp_path, code, "上传的试验课程", trainer)
    return tmp_path


def uploaded(hub: Hub) -> Path:
    return hub.data_dir / "course-sources"


def audit_actions(hub: Hub, code: str) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{hub.data_dir / 'yiyuan.sqlite'}")
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT action, actor FROM audit_log WHERE target = :t ORDER BY id"),
            {"t": code},
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def tar_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with _tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = _tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_trainer_uploads_and_publishes_a_new_course(platform, people, tmp_path):
    lihua, wangfang = people["lihua"], people["wangfang"]
    response = lihua.upload(CODE, upload.pack_sources(workspace(tmp_path, CODE), CODE))
    assert response.status_code == 201, response.text
    outcome = response.json()
    assert outcome["published"] is True and outcome["released"] == [["diyike", 1]]
    assert any("第 1 次发布" in line for line in outcome["lines"])
    assert (uploaded(platform) / f"{CODE}.yml").is_file()
    catalog = {c["code"]: c for c in wangfang.call("GET", "api/courses").json()["courses"]}
    assert catalog[CODE]["title"] == "上传的试验课程" and catalog[CODE]["may_enrol"]
    assert audit_actions(platform, CODE) == [
        ("course.sources", "lihua"),
        ("course.publish", "lihua"),
    ]


def test_refused_uploads_store_nothing(platform, people, tmp_path):
    lihua, zhouqing, wangfang = people["lihua"], people["zhouqing"], people["wangfang"]
    code = "juju-kecheng"
    good = upload.pack_sources(workspace(tmp_path / "a", code), code)
    manifest = (tmp_path / "a" / f"{code}.yml").read_bytes()

    escape = lihua.upload(code, tar_with({f"{code}.yml": manifest, "../evil.txt": b"x"}))
    assert escape.status_code == 400 and "“..”" in escape.json()["error"]
    stray = lihua.upload(
        code, tar_with({f"{code}.yml": manifest, "notebooks/other/x.ipynb": b"{}"})
    )
    assert stray.status_code == 400 and "不属于课程" in stray.json()["error"]
    # sent as a trainer's server sends it: straight to the service (through the hub's proxy a
    # refusal before the body is read can reach the client as the proxy's 503 instead)
    big = requests.post(
        f"http://127.0.0.1:{platform.service_port}/services/yiyuan/"
        f"api/authoring/courses/{code}/sources",
        data=os.urandom(1024 * 1024 + 10),
        headers={**lihua.headers, "Content-Type": "application/gzip"},
        timeout=60,
    )
    assert big.status_code == 413 and "MB" in big.json()["error"]
    broken = lihua.upload(code, tar_with({f"{code}.yml": b"id: [unclosed\n"}))
    assert broken.status_code == 400, broken.text
    assert broken.json()["published"] is False and broken.json()["problems"]
    assert re.search(r"[\u4e00-\u9fff]", broken.json()["problems"][0]["message"])

    not_listed = zhouqing.upload(code, good)  # a trainer, but the manifest names lihua
    assert not_listed.status_code == 403 and "不在课程清单" in not_listed.json()["error"]
    learner = wangfang.upload(code, good)
    assert learner.status_code == 403 and "教师和管理员" in learner.json()["error"]
    # a course lihua published: zhouqing may not take it over by listing herself
    taken = upload.pack_sources(workspace(tmp_path / "b", CODE, trainer="zhouqing"), CODE)
    takeover = zhouqing.upload(CODE, taken)
    assert takeover.status_code == 403 and "其他教师" in takeover.json()["error"]

    assert not (uploaded(platform) / f"{code}.yml").exists()
    assert not (uploaded(platform) / "notebooks" / code).exists()
    assert not (uploaded(platform) / ".history" / CODE).exists()
    assert [p.name for p in uploaded(platform).iterdir() if p.name.startswith(".incoming")] == []
    assert audit_actions(platform, code) == []


def test_reupload_keeps_the_previous_version(platform, people, tmp_path):
    lihua, admin = people["lihua"], people["admin"]
    root = workspace(tmp_path, CODE)
    path = root / f"{CODE}.yml"
    path.write_text(path.read_text("utf-8").replace("上传的试验课程", "改过的试验课程"), "utf-8")
    response = lihua.upload(CODE, upload.pack_sources(root, CODE))
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2 and response.json()["title"] == "改过的试验课程"
    [kept] = (uploaded(platform) / ".history" / CODE).iterdir()
    assert "上传的试验课程" in (kept / f"{CODE}.yml").read_text("utf-8")
    assert (kept / "notebooks" / CODE / "diyike" / "diyike.ipynb").is_file()
    assert "改过的试验课程" in (uploaded(platform) / f"{CODE}.yml").read_text("utf-8")
    # the checker's problems come back as a list, and nothing changes
    (root / "notebooks" / CODE / "diyike" / "diyike.ipynb").write_text("{ broken", "utf-8")
    bad = admin.upload(CODE, upload.pack_sources(root, CODE))
    assert bad.status_code == 400 and bad.json()["problems"][0]["file"].endswith("diyike.ipynb")
    assert len(list((uploaded(platform) / ".history" / CODE).iterdir())) == 1


def start_server(person: Person, user: str) -> None:
    response = person.browser.get("/hub/spawn")
    assert response.status_code == 200, response.text[:500]
    person.browser.wait_for_server(user)


def test_author_page_preview_and_publish_in_the_trainers_server(platform, people):
    lihua, wangfang = people["lihua"], people["wangfang"]
    start_server(lihua, "lihua")
    start_server(wangfang, "wangfang")
    browser = lihua.browser
    prefix = "/user/lihua/yiyuan/author/"

    # a learner's server serves lessons only: its gate answers before the authoring extension
    refused = wangfang.browser.get("/user/wangfang/yiyuan/author/")
    assert refused.status_code == 403 and "这里只能学习课件" in refused.text
    assert "课程编写" not in refused.text

    listing = browser.get(prefix)
    assert listing.status_code == 200, platform.log()
    assert "课程编写" in listing.text and "新建课程" in listing.text
    xsrf = browser.xsrf("/user/lihua/")
    code = "yemian-kecheng"
    created = browser.session.post(
        f"{platform.url}{prefix}new",
        data={"code": code, "title": "页面新建的课程", "_xsrf": xsrf},
        timeout=60,
    )
    assert created.status_code == 200 and f"已新建课程 {code}" in created.text
    home = platform.data_dir / "homes" / "lihua" / "courses"
    assert "trainers: [lihua]" in (home / f"{code}.yml").read_text("utf-8")
    again = browser.session.post(
        f"{platform.url}{prefix}new",
        data={"code": code, "title": "重复", "_xsrf": xsrf},
        timeout=60,
    )
    assert again.status_code == 400 and "已经存在" in again.text

    checked = browser.session.post(f"{platform.url}{prefix}check/{code}", data={"_xsrf": xsrf})
    assert "检查通过" in checked.text

    link = re.search(rf'href="([^"]*preview/{code}/diyike/diyike.ipynb)"', checked.text)
    lesson = browser.get(link.group(1))
    assert lesson.status_code == 200, lesson.text[:2000]
    assert lesson.url.endswith(
        f"/user/lihua/voila/render/yiyuan-preview/{code}/diyike/diyike.ipynb"
    )
    rendered = html.unescape(lesson.text)  # Voila writes headings as character references
    assert "第一课\u3000页面新建的课程" in rendered and "预览模式" in rendered  # Markdown
    for source in ("lesson.single_choice", "from yiyuan", "expect(", "BEGIN HIDDEN"):
        assert source not in rendered
    broken = home / "notebooks" / code / "diyike" / "diyike.ipynb"
    original = broken.read_text("utf-8")
    broken.write_text("{ broken", "utf-8")
    bad = browser.get(link.group(1))
    assert bad.status_code == 400 and "不是有效的 Jupyter 笔记本" in bad.text
    assert "Traceback" not in bad.text
    broken.write_text(original, "utf-8")

    published = browser.session.post(
        f"{platform.url}{prefix}publish/{code}", data={"_xsrf": xsrf}, timeout=300
    )
    assert published.status_code == 200, published.text
    assert "已上传并发布" in published.text and "第 1 次发布" in published.text
    assert (uploaded(platform) / f"{code}.yml").is_file()


@pytest.mark.browser
def test_author_page_in_a_real_browser(platform, people, chromium, artifacts):
    """From the workspace to the author page in the trainer's server, and a lesson's preview
    (lihua's server runs: the test above started it)."""
    from playwright.sync_api import expect

    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{platform.url}/hub/login")
    page.get_by_label("用户名").fill("lihua")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/services/yiyuan/trainer**")
    page.get_by_role("link", name="在 JupyterLab 中编写课件").click()
    page.wait_for_url("**/user/lihua/yiyuan/author/**")
    expect(page.get_by_role("button", name="新建")).to_be_visible()
    page.screenshot(path=artifacts / "author.png", full_page=True)
    with page.expect_popup() as popup:
        page.get_by_role("link", name="预览").first.click()
    lesson = popup.value
    expect(lesson.get_by_text("预览模式").first).to_be_visible(timeout=60_000)
    expect(lesson.locator("body")).not_to_contain_text("BEGIN HIDDEN")
    lesson.screenshot(path=artifacts / "author-preview.png", full_page=True)
    context.close()
