"""The attack suite: learners' code submitted through the real service tries to escape the
grader, and every attempt fails inside the sandbox.

The course is what a trainer makes with ``yiyuan courses new`` plus an ordinary nbgrader
exercise (a ``### BEGIN SOLUTION`` cell and a graded check). The learner replaces the solution
with an attack, submits it through the service with her own hub token, and the grading worker
runs it. Each attack prints ``ESCAPED:<what>`` if it got anywhere and ``BLOCKED:<what>``
otherwise; the test reads the autograded notebook (what the grader kept) and the learner's
feedback. Afterwards the grader must still be free: another learner's ordinary submission is
graded, with nothing of the attack in it.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest
import yaml
from people import Person
from production import remove_system_user

import hubtest
from hubtest import ROOT, Hub
from yiyuan.exchange import archives
from yiyuan.grading.sandbox import Sandbox, bwrap_command, kernel_environment

COURSE, MODULE = "gongji", "diyike"
ANSWERS = {"q1": "选项乙", "r1": "我的学习心得。" * 10, "s1": 4}

SOLUTION = nbformat.v4.new_code_cell(
    "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
    metadata={
        "nbgrader": {
            "grade": False,
            "grade_id": "attack",
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
    },
)
CHECK = nbformat.v4.new_code_cell(
    "assert answer == 42",
    metadata={
        "nbgrader": {
            "grade": True,
            "grade_id": "attack-check",
            "locked": True,
            "points": 1,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }
    },
)


def _add_exercise(courses) -> None:
    """An nbgrader exercise in the template's lesson, before its submit button."""
    path = courses / "notebooks" / COURSE / MODULE / f"{MODULE}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[-2:-2] = [SOLUTION, CHECK]
    nbformat.write(notebook, path)
    manifest = courses / f"{COURSE}.yml"
    text = manifest.read_text("utf-8").replace("enrolment: elective", "enrolment: required")
    manifest.write_text(text, "utf-8")


@pytest.fixture(scope="module", params=["demo", "production"])
def platform(request, tmp_path_factory):
    """The attack course on a demo hub, then on a production hub as docs/deploy.md installs it
    (the venv from Debian's Python, the platform's own system user, learners as system users:
    the grader keeps root only as its real uid there)."""
    if request.param == "demo":
        yield from _platform(tmp_path_factory.mktemp("sandbox"), {})
        return
    bin_dir = request.getfixturevalue("production_bin")
    service_user = f"yysbx{secrets.token_hex(3)}"
    # every user may enter it (like /srv): the service user publishes, learners' servers run
    workdir = Path(tempfile.mkdtemp(prefix="yiyuan-sandbox-production-", dir="/tmp"))
    workdir.chmod(0o755)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(hubtest, "BIN", bin_dir)
            subprocess.run(
                ["adduser", "--system", "--group", "--home", str(workdir / "home"), service_user],
                check=True,
                capture_output=True,
                timeout=60,
            )
            production = {"mode": "production", "service": {"user": service_user}}
            yield from _platform(workdir, production, group=service_user)
    finally:
        for name in ("wangfang", "liuyang", service_user):
            remove_system_user(name)
        shutil.rmtree(workdir, ignore_errors=True)


def _platform(workdir: Path, settings: dict, group: str = ""):
    courses = workdir / "courses"
    shutil.copytree(ROOT / "courses", courses)
    hub = Hub(
        workdir / "hub",
        # a short timeout: the endless loop and the fork bomb end within it
        {"courses_dir": str(courses), "grading": {"timeout": 20}, **settings},
    )
    if group:  # as docs/deploy.md: root owns the settings file, the service user reads it
        # the courses are the trainer's files; yiyuan commands run as the service user here
        subprocess.run(["chown", "-R", f"{group}:{group}", str(courses)], check=True)
        hub.workdir.chmod(0o755)
        shutil.chown(hub.config_file, "root", group)
        hub.config_file.chmod(0o640)
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "new", COURSE, "--title", "安全测试", "--trainer", "lihua")
    _add_exercise(courses)
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.start(timeout=120)
    try:
        yield hub
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def learners(platform):
    return {name: Person(platform, name) for name in ("wangfang", "liuyang")}


def submit_code(person: Person, tmp_path, code: str) -> int:
    """Fetch the module, put ``code`` in the solution cell, answer the quiz, submit."""
    release = person.call("GET", f"api/exchange/release/{COURSE}/{MODULE}")
    assert release.status_code == 200, release.text
    folder = tmp_path / person.username / MODULE
    if folder.exists():
        shutil.rmtree(folder)
    archives.unpack(release.content, folder, 10**8)
    path = folder / f"{MODULE}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution"))
    cell.source = code
    nbformat.write(notebook, path)
    data = {"version": 1, "answers": ANSWERS}
    (folder / "answers.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    response = person.call(
        "POST", f"api/exchange/submissions/{COURSE}/{MODULE}", data=archives.pack(folder)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def graded_output(hub: Hub, username: str) -> str:
    """Everything the attack cell printed, as the grader kept it."""
    path = hub.data_dir / "coursedirs" / COURSE / "autograded" / username / MODULE
    notebook = nbformat.read(path / f"{MODULE}.ipynb", as_version=4)
    cell = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "attack"
    )
    texts = []
    for output in cell.outputs:
        texts.append(output.get("text", ""))
        texts.append(output.get("evalue", ""))
        texts.extend(output.get("traceback", []))
    return "\n".join(texts)


def check_passed(hub: Hub, username: str) -> bool:
    """Did the exercise's graded check (after the attack) run without an error?"""
    path = hub.data_dir / "coursedirs" / COURSE / "autograded" / username / MODULE
    notebook = nbformat.read(path / f"{MODULE}.ipynb", as_version=4)
    cell = next(
        c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "attack-check"
    )
    return not [o for o in cell.outputs if o.output_type == "error"]


def feedback_text(person: Person, state: dict) -> str:
    """The learner's feedback pages, as the service serves them to her."""
    pages = []
    for page in state["grade"]["feedback"]:
        response = person.call("GET", f"api/submissions/{state['id']}/feedback/{page}")
        assert response.status_code == 200
        pages.append(response.text)
    return "\n".join(pages)


def probes(hub: Hub) -> str:
    """One cell that tries every quiet escape and reports each."""
    data = hub.data_dir
    settings = yaml.safe_load(hub.config_file.read_text("utf-8"))
    ports = [hub.port, hub.hub_port, settings["service"]["port"], settings["hub"]["proxy_api_port"]]
    return textwrap.dedent(
        f"""
        import os, socket, glob, sqlite3
        def report(name, escaped, detail=""):
            print(("ESCAPED:" if escaped else "BLOCKED:") + name, detail)
        secret_env = [k for k in os.environ
                      if any(w in k for w in ("TOKEN", "SECRET", "YIYUAN", "DB_URL", "JUPYTERHUB"))]
        report("environment", bool(secret_env), secret_env)
        for name, path in [
            ("database", {str(data / "yiyuan.sqlite")!r}),
            ("hub-database", {str(data / "jupyterhub.sqlite")!r}),
            ("cookie-secret", {str(data / "jupyterhub_cookie_secret")!r}),
            ("secrets", {str(data / "secrets")!r}),
            ("other-home", {str(data / "homes" / "liuyang")!r}),
            ("other-system-home", "/home/liuyang"),
            ("submissions", {str(data / "exchange")!r}),
            ("gradebook", {str(data / "coursedirs" / COURSE / "gradebook.db")!r}),
            ("project", {str(ROOT / "jupyterhub_config.py")!r}),
        ]:
            try:
                if os.path.isdir(path):
                    found = os.listdir(path)
                else:
                    found = open(path, "rb").read(64)
                report(name, True, repr(found)[:80])
            except OSError as error:
                report(name, False, type(error).__name__)
        try:
            rows = sqlite3.connect({str(data / "yiyuan.sqlite")!r}).execute(
                "INSERT INTO account_roles (account_id, role) VALUES (1, 'administrator')")
            report("database-write", True)
        except Exception as error:
            report("database-write", False, type(error).__name__)
        for port in {ports!r}:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                report(f"connect-{{port}}", True)
            except OSError as error:
                report(f"connect-{{port}}", False, type(error).__name__)
        for name, path in [
            ("write-release", {str(data / "coursedirs" / COURSE / "release" / MODULE / "x")!r}),
            ("write-data", {str(data / "planted")!r}),
            ("write-parent", os.path.join(os.getcwd(), "..", "planted")),
            ("write-tmp-outside", "/planted"),
        ]:
            try:
                open(path, "w").write("x")
                report(name, True)
            except OSError as error:
                report(name, False, type(error).__name__)
        open("planted-in-working-copy.txt", "w").write("x")
        try:
            os.setuid(0)
            report("become-root", True)
        except OSError as error:
            report("become-root", False, type(error).__name__)
        report("uid", os.getuid() == 0, os.getuid())
        answer = 42
        """
    )


QUIET = [
    "environment",
    "database",
    "hub-database",
    "cookie-secret",
    "secrets",
    "other-home",
    "other-system-home",
    "submissions",
    "gradebook",
    "project",
    "database-write",
    "write-release",
    "write-data",
    "write-parent",
    "write-tmp-outside",
    "become-root",
    "uid",
]


def test_quiet_escapes_all_fail_and_the_job_is_graded(platform, learners, tmp_path):
    wangfang = learners["wangfang"]
    submission = submit_code(wangfang, tmp_path, probes(platform))
    state = wangfang.wait_for_result(submission)
    assert state["grading"] == "done", state
    output = graded_output(platform, "wangfang")
    assert "ESCAPED" not in output, output
    for name in QUIET:
        assert f"BLOCKED:{name}" in output, (name, output)
    for port in [platform.port, platform.hub_port]:
        assert f"BLOCKED:connect-{port}" in output
    # the check after the attack ran and passed: the job finished with a grade
    assert check_passed(platform, "wangfang")
    assert "ESCAPED" not in feedback_text(wangfang, state)
    # nothing the kernel wrote reached the grader's files or the data directory
    assert not list(platform.data_dir.rglob("planted*"))
    assert not (platform.data_dir / "coursedirs" / COURSE / "release" / MODULE / "x").exists()


ATTACKS = {
    "fork-bomb": """
        import os
        children = 0
        try:
            while True:
                if os.fork() == 0:
                    import time
                    time.sleep(60)
                    os._exit(0)
                children += 1
        except OSError as error:
            print("BLOCKED:fork-bomb", children, type(error).__name__)
        answer = 42
        """,
    "memory": """
        try:
            block = bytearray(8 * 1024 ** 3)
            print("ESCAPED:memory")
        except MemoryError:
            print("BLOCKED:memory")
        answer = 42
        """,
    "output": """
        import sys
        for _ in range(1000):  # 100 MB, sent as it is printed
            print("x" * 100_000)
            sys.stdout.flush()
        answer = 42
        """,
    "endless-loop": """
        while True:
            pass
        """,
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_loud_attacks_end_in_the_sandbox_with_a_grade(platform, learners, tmp_path, attack):
    wangfang = learners["wangfang"]
    submission = submit_code(wangfang, tmp_path, textwrap.dedent(ATTACKS[attack]))
    state = wangfang.wait_for_result(submission)
    assert state["grading"] == "done", state
    output = graded_output(platform, "wangfang")
    assert "ESCAPED" not in output
    if attack in ("fork-bomb", "memory"):
        assert f"BLOCKED:{attack}" in output, output
    if attack == "output":
        # 100 MB printed, a bounded amount kept
        assert len(output) <= 300 * 1024
        assert "输出过长" in output
    # the kernel survived every attack but the endless loop, which the timeout stopped
    assert check_passed(platform, "wangfang") == (attack != "endless-loop")
    # the grader is free: another learner's ordinary work is graded next, cleanly
    liuyang = learners["liuyang"]
    ordinary = submit_code(liuyang, tmp_path, "answer = 42")
    graded = liuyang.wait_for_result(ordinary)
    assert graded["grading"] == "done"
    assert "x" * 1000 not in feedback_text(liuyang, graded)
    assert "ESCAPED" not in graded_output(platform, "liuyang")
    # no sandbox of the attack is left running
    assert not _sandboxed_processes(platform), _sandboxed_processes(platform)


def _sandboxed_processes(platform) -> list[str]:
    """This hub's kernels still running under a sandbox uid (the default range). Another run
    on the machine (a second test run, a benchmark) may have kernels there too: not ours."""
    import os

    ours = platform.processes()
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) not in ours:
            continue
        try:
            status = open(f"/proc/{entry}/status").read()
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if 64000 <= uid < 64100:
            left.append(entry)
    return left


def test_the_sandbox_command_holds_nothing_secret(tmp_path):
    """What the kernel is started with: no token or database URL, no data directory."""
    sandbox = Sandbox(uid=64000, readonly=(str(tmp_path / "release"),))
    command = bwrap_command(
        sandbox,
        ["python", "-m", "ipykernel_launcher"],
        scratch=str(tmp_path / "work"),
        home=str(tmp_path / "home"),
        sockets=str(tmp_path / "run"),
        inner_workdir="/data/coursedirs/c/autograded/u/m",
    )
    joined = " ".join(command)
    assert "--unshare-net" in command and "--clearenv" in command
    assert "--die-with-parent" in command
    for word in ("TOKEN", "YIYUAN_DB_URL", "YIYUAN_CONFIG", "secrets"):
        assert word not in joined
    environment = kernel_environment(str(tmp_path / "home"))
    assert not [k for k in environment if "TOKEN" in k or k.startswith("YIYUAN")]


def test_production_never_grades_without_the_sandbox():
    from yiyuan.grading.sandbox import SandboxError, require_sandbox
    from yiyuan.settings import GradingSettings

    with pytest.raises(SandboxError, match="生产模式不能关闭评分沙箱"):
        require_sandbox("production", GradingSettings(sandbox="none"))
    require_sandbox("demo", GradingSettings(sandbox="none"))  # a trial machine without bwrap
    require_sandbox("production", GradingSettings())  # bubblewrap works here


def test_a_sandbox_that_cannot_start_stops_the_grader_with_the_reason(monkeypatch):
    from yiyuan.grading import sandbox as sandbox_module
    from yiyuan.settings import GradingSettings

    monkeypatch.setattr(sandbox_module, "BWRAP", "/nonexistent/bwrap")
    with pytest.raises(sandbox_module.SandboxError, match="找不到 bubblewrap"):
        sandbox_module.require_sandbox("demo", GradingSettings())
    monkeypatch.undo()
    # a limit the sandbox cannot meet: the check runs a real sandboxed Python and fails
    with pytest.raises(sandbox_module.SandboxError, match="评分沙箱无法启动"):
        sandbox_module.check_sandbox(GradingSettings(kernel_memory_mb=8))
