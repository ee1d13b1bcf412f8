"""Production mode end to end, installed the way docs/deploy.md installs it: a venv built by
``make setup`` from Debian's own /usr/bin/python3.11, a dedicated system user for the platform's
processes, the hub as root. A learner logs in for the first time (the hub creates her system
user), her server runs as her own uid, the lesson opens in it, her submission is graded. Every
system user the test made is removed afterwards, also when it fails.

Needs root (system users) and Debian's python3.11: CI has both. The venv is built once in
``.venv-production`` (git-ignored) and reused while requirements.txt is unchanged.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from production import remove_system_user

import hubtest
from hubtest import ROOT, Hub
from yiyuan.catalog.compile import CACHE_ENV
from yiyuan.exchange.lockdown import DENIED_API

pytestmark = pytest.mark.production

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
RIGHT = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变", "q5": "柳公权"}
#: every question of the lesson answered (a submission needs them all): the quiz right, a
#: reflection of the least length, a rating
ANSWERS = {**RIGHT, "r1": "我最喜欢行书，它既有楷书的法度，又有草书的流动。" * 5, "s1": 4}
FIRST_PASSWORD, PASSWORD = "Chuci-2026-prod", "Zixuan-2027-prod"


def environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


def status_uids(pid: int) -> tuple[int, ...]:
    """Real, effective, saved and file-system uid of ``pid`` (/proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return tuple(int(value) for value in line.split()[1:])
    raise AssertionError(f"no Uid line for {pid}")


def uids(pid: int) -> set[int]:
    return set(status_uids(pid))


def service_processes(hub: Hub) -> dict[str, list[int]]:
    """The processes of ``hub``'s managed services (their children too), by service name."""
    api = f"http://127.0.0.1:{hub.hub_port}/hub/api"
    found: dict[str, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        env = environ(int(entry.name))
        if env.get("JUPYTERHUB_API_URL") == api and "JUPYTERHUB_SERVICE_NAME" in env:
            found.setdefault(env["JUPYTERHUB_SERVICE_NAME"], []).append(int(entry.name))
    return found


def server_pid(username: str) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"jupyterhub-singleuser" in cmdline:
                if environ(int(entry.name)).get("JUPYTERHUB_USER") == username:
                    return int(entry.name)
    raise AssertionError(f"no jupyterhub-singleuser process of {username}")


@pytest.fixture(scope="module")
def deployment(production_bin):
    """A production deployment in a folder every user may enter (like /srv): the platform's
    system user, the settings file it may read, the database, a published course and a
    learner enrolled in it. Yields (hub, service user, learner)."""
    token = secrets.token_hex(3)
    service_user, learner = f"yyprod{token}", f"xueyuan{token}"
    for name in (service_user, learner):
        if name in {entry.pw_name for entry in pwd.getpwall()}:
            pytest.fail(f"system user {name} exists already: the test would take it over")
    workdir = Path(tempfile.mkdtemp(prefix="yiyuan-production-", dir="/tmp"))
    workdir.chmod(0o755)
    hub = None
    try:
        with pytest.MonkeyPatch.context() as patch:
            # the hub and the yiyuan command come from the production venv
            patch.setattr(hubtest, "BIN", production_bin)
            # publishing compiles the lessons as the service user, as in production: not
            # into the suite's shared cache, a folder of root's it may not enter (conftest)
            patch.delenv(CACHE_ENV, raising=False)
            home = workdir / "service-home"
            subprocess.run(
                ["adduser", "--system", "--group", "--home", str(home), service_user],
                check=True,
                capture_output=True,
                timeout=60,
            )
            hub = Hub(
                workdir / "hub",
                {
                    "mode": "production",
                    "courses_dir": str(ROOT / "courses"),
                    "service": {"user": service_user},
                    # as the docs install it (the test hubs leave it off to save time)
                    "dashboards": {"enabled": True},
                    "messages": {"every": 600},
                },
            )
            hub.workdir.chmod(0o755)
            # as docs/deploy.md: root owns the settings file, the service user's group reads it
            shutil.chown(hub.config_file, "root", service_user)
            hub.config_file.chmod(0o640)
            hub.cli("db", "upgrade")
            hub.cli("demo", "seed")  # the course's trainer; nobody logs in with these
            hub.cli("courses", "publish", COURSE, "--actor", "admin")
            create = ("users", "create", learner, "--name", "测试学员", "--password-stdin")
            hub.cli(*create, stdin=f"{FIRST_PASSWORD}\n")
            hub.cli("courses", "enrol", COURSE, learner)
            hub.start(timeout=120)
            yield hub, service_user, learner
    finally:
        if hub is not None:
            hub.stop()
        for name in (learner, service_user):
            remove_system_user(name)
        shutil.rmtree(workdir, ignore_errors=True)


def test_the_cli_run_by_root_leaves_the_data_dir_to_the_service_user(deployment):
    hub, service_user, _ = deployment
    account = pwd.getpwnam(service_user)
    data = hub.data_dir
    assert data.stat().st_uid == account.pw_uid and data.stat().st_mode & 0o777 == 0o700
    # written by `yiyuan db upgrade` / `courses publish` run as root, and by the hub at start
    for path in (data / "yiyuan.sqlite", data / "coursedirs" / COURSE, data / "secrets"):
        assert path.stat().st_uid == account.pw_uid, path
    # the hub keeps its own database and cookie secret
    assert (data / "jupyterhub.sqlite").stat().st_uid == 0
    assert (data / "jupyterhub_cookie_secret").stat().st_uid == 0


def test_a_command_run_by_root_in_production_runs_as_the_service_user(production_bin):
    """Without a hub: a world-open folder, the service user nobody, `yiyuan db upgrade`."""
    folder = Path(tempfile.mkdtemp(prefix="yiyuan-cli-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        config = folder / "yiyuan.yml"
        config.write_text(
            f"mode: production\ndata_dir: {folder / 'data'}\nservice:\n  user: nobody\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_")}
        env["YIYUAN_CONFIG"] = str(config)
        yiyuan = str(production_bin / "yiyuan")
        upgraded = subprocess.run(
            [yiyuan, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120
        )
        assert upgraded.returncode == 0, upgraded.stderr
        nobody = pwd.getpwnam("nobody").pw_uid
        data = folder / "data"
        assert data.stat().st_uid == nobody and data.stat().st_mode & 0o777 == 0o700
        assert (data / "yiyuan.sqlite").stat().st_uid == nobody
        # a file the service user cannot read: one Chinese sentence, no traceback
        private = folder / "private"
        private.mkdir(mode=0o700)
        (private / "roster.csv").write_text("姓名,手机\n王芳,13800001234\n", encoding="utf-8")
        refused = subprocess.run(
            [yiyuan, "members", "import", str(private / "roster.csv"), "--dry-run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        assert "以系统用户 nobody 的身份运行" in refused.stderr, refused.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_platform_services_run_as_the_service_user(deployment):
    hub, service_user, _ = deployment
    uid = pwd.getpwnam(service_user).pw_uid
    running = service_processes(hub)
    expected = {"yiyuan", "grader", "roster-sync", "messages", "idle-culler", "dashboards"}
    assert expected <= set(running), running
    grader = running.pop("grader")
    for name, pids in running.items():
        for pid in pids:
            assert uids(pid) == {uid}, (name, pid, uids(pid))
    # the grading pool works as the service user; root stays only its real uid, to start
    # each sandboxed kernel as a uid of its own
    for pid in grader:
        real, effective, _, filesystem = status_uids(pid)
        assert (real, effective, filesystem) == (0, uid, uid), (pid, status_uids(pid))


def test_a_learner_studies_and_is_graded_as_her_own_system_user(deployment):
    hub, _, learner = deployment
    browser = hub.browser()
    first = browser.login(learner, FIRST_PASSWORD)
    assert "/hub/change-password" in first.url, hub.log()
    changed = browser.post_form(
        "/hub/change-password",
        {
            "current_password": FIRST_PASSWORD,
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert changed.status_code == 200, changed.text
    # her first login made her a system user, as JupyterHub's LocalAuthenticator does
    account = pwd.getpwnam(learner)
    assert account.pw_uid >= 1000 and account.pw_dir == f"/home/{learner}"

    browser.get("/hub/spawn")
    browser.wait_for_server(learner, timeout=120)
    pid = server_pid(learner)
    assert uids(pid) == {account.pw_uid}, hub.log()

    # the lesson opens in her server: fetched into her home, as her, then shown by Voila
    lesson = browser.get(f"/user/{learner}/yiyuan/open/{COURSE}/{MODULE}")
    assert lesson.status_code == 200, lesson.text[-2000:]
    assert "/voila/render/" in lesson.url and "Traceback" not in lesson.text
    assert "汉字书体的演变" in lesson.text  # the lesson's first heading, rendered by Voila
    folder = Path(account.pw_dir) / COURSE / MODULE
    notebooks = list(folder.glob("*.ipynb"))
    assert notebooks and all(p.stat().st_uid == account.pw_uid for p in notebooks)

    # her server serves lessons only: its contents API is not a way to write into her home
    refused = browser.session.put(
        f"{hub.url}/user/{learner}/api/contents/{COURSE}/{MODULE}/answers.json",
        json={"type": "file", "format": "text", "content": "{}"},
        headers={"X-XSRFToken": browser.xsrf(f"/user/{learner}/")},
        timeout=60,
    )
    assert refused.status_code == 403 and refused.json()["message"] == DENIED_API, refused.text
    assert not (folder / "answers.json").exists()

    # her answers, saved and submitted the way the lesson's page does (the yiyuan service,
    # which runs as the platform's user), then graded in the sandbox
    service = f"{hub.url}/services/yiyuan/"
    lessons = f"{service}api/lessons/{COURSE}/{MODULE}/"
    headers = {"Authorization": f"token {browser.token()}"}
    saved = requests.put(
        f"{lessons}answers", json={"answers": ANSWERS}, headers=headers, timeout=60
    )
    assert saved.status_code == 200, saved.text
    kept = requests.get(f"{lessons}answers", headers=headers, timeout=60).json()["answers"]
    assert kept == ANSWERS
    submitted = requests.post(f"{lessons}submit", json={}, headers=headers, timeout=120)
    assert submitted.status_code == 201, submitted.text
    submission = submitted.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = requests.get(f"{service}api/submissions/{submission}", headers=headers, timeout=60)
        state = state.json()
        if state["grading"] in ("done", "failed") and state["result"]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"submission {submission} not graded: {state}\n{hub.log()}")
    assert state["grading"] == "done", (state, hub.log())
    assert state["grade"]["auto_score"] == state["grade"]["auto_max"] == 5, state
    [page] = state["grade"]["feedback"]
    feedback = requests.get(
        f"{service}api/submissions/{submission}/feedback/{page}", headers=headers, timeout=60
    )
    assert feedback.status_code == 200, feedback.text
    # what the lesson's page shows under its button
    result = requests.get(f"{lessons}result/{submission}", headers=headers, timeout=60).json()
    assert result["final"] and result["ok"], result


def test_the_hub_refuses_a_venv_learners_could_not_run(deployment, production_bin):
    """The same venv reached through a folder only root may enter (as a venv under /root
    would be): the hub refuses to start, before any account could log in and become a
    system user whose server then cannot start."""
    _, service_user, _ = deployment
    private = Path(tempfile.mkdtemp(prefix="yiyuan-private-", dir="/tmp"))  # mode 0700
    try:
        (private / "venv").symlink_to(production_bin.parent, target_is_directory=True)
        hub = Hub(private / "hub", {"mode": "production", "service": {"user": service_user}})
        users = {entry.pw_name for entry in pwd.getpwall()}
        python = private / "venv" / "bin" / "python"
        refused = subprocess.run(
            [str(python), "-m", "jupyterhub", "-f", str(ROOT / "jupyterhub_config.py")],
            cwd=hub.workdir,
            env=hub.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode != 0
        assert "艺苑无法启动：学员的学习环境将无法启动" in refused.stderr, refused.stderr
        assert f"{private} 不允许其他用户进入" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert {entry.pw_name for entry in pwd.getpwall()} == users
    finally:
        shutil.rmtree(private, ignore_errors=True)
