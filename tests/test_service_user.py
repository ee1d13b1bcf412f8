"""Production mode's checks and its system user, without a hub: the Python check of
``make setup``, the preflight that refuses a venv learners cannot run, the data directory
handed to the platform's system user, root-run commands that drop to it, and the services'
``user`` key. Most need root (they switch uids), as CI runs."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from traitlets.config import Config

import hub_config
from hubtest import BIN, ROOT
from yiyuan.errors import YiyuanError
from yiyuan.preflight import check_learners_can_run, check_production_host, check_services_can_start
from yiyuan.serviceuser import (
    check_hub_files,
    closed_to_others,
    hand_over_data_dir,
    stop_processes_of,
)
from yiyuan.settings import load_settings

DEBIAN_PYTHON = "/usr/bin/python3.11"
NOBODY = pwd.getpwnam("nobody")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switches uids: needs root")


@pytest.fixture
def open_dir():
    """A folder every user may enter (pytest's tmp_path is root's, mode 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="yiyuan-test-", dir="/tmp"))
    folder.chmod(0o755)
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=True)


def settings_file(folder: Path, text: str) -> Path:
    path = folder / "yiyuan.yml"
    path.write_text(f"data_dir: {folder / 'data'}\n{text}", encoding="utf-8")
    return path


def fake_venv(folder: Path, python: str) -> Path:
    """A venv's bin folder whose python is ``python`` and whose jupyterhub-singleuser is a
    script run by it."""
    bin_dir = folder / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for path in (folder, folder / "venv", bin_dir):
        path.chmod(0o755)
    (bin_dir / "python").symlink_to(python)
    script = bin_dir / "jupyterhub-singleuser"
    script.write_text(f"#!{bin_dir / 'python'}\n")
    script.chmod(0o755)
    return bin_dir


# -- make setup's Python check ----------------------------------------------------------------


def check_python(python: str, venv: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "scripts" / "check-python.sh"), python, str(venv)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_setup_refuses_a_python_that_is_not_3_11_in_chinese(tmp_path):
    old = tmp_path / "python3"
    old.write_text("#!/bin/sh\nexit 1\n")  # answers no question: not a usable 3.11
    old.chmod(0o755)
    refused = check_python(str(old), tmp_path / "venv")
    assert refused.returncode == 1
    assert "艺苑需要 Python 3.11，且至少 3.11.2" in refused.stderr
    assert "make setup PYTHON=/usr/bin/python3.11" in refused.stderr
    missing = check_python(str(tmp_path / "nosuch"), tmp_path / "venv")
    assert missing.returncode == 1 and "找不到 Python" in missing.stderr


@pytest.mark.skipif(not os.access(DEBIAN_PYTHON, os.X_OK), reason="needs Debian's python3.11")
def test_setup_accepts_debians_python_and_warns_about_one_others_cannot_run(tmp_path, open_dir):
    accepted = check_python(DEBIAN_PYTHON, open_dir / "venv")
    assert accepted.returncode == 0 and accepted.stderr == ""
    # the same interpreter reached through a folder only root may enter (like /root/.pyenv)
    hidden = tmp_path / "private" / "python3.11"
    hidden.parent.mkdir(mode=0o700)
    hidden.symlink_to(DEBIAN_PYTHON)
    warned = check_python(str(hidden), open_dir / "venv")
    assert warned.returncode == 0
    assert f"注意：其他系统用户无法执行 {hidden}（{hidden.parent} 不允许" in warned.stderr


# -- the preflight: can learners run the venv? ------------------------------------------------


def test_closed_to_others_names_the_first_closed_folder(open_dir):
    private = open_dir / "private"
    private.mkdir(mode=0o700)
    (private / "python").touch(mode=0o755)
    assert closed_to_others(private / "python") == private
    script = open_dir / "script"
    script.touch(mode=0o700)
    assert closed_to_others(script) == script
    script.chmod(0o755)
    assert closed_to_others(script) is None
    assert closed_to_others(open_dir / "missing") == open_dir / "missing"


@needs_root
def test_preflight_refuses_a_venv_behind_a_private_folder(open_dir):
    private = open_dir / "root-only"
    private.mkdir(mode=0o700)
    bin_dir = fake_venv(private, sys.executable)
    private.chmod(0o700)
    with pytest.raises(YiyuanError) as refused:
        check_learners_can_run(bin_dir)
    message = str(refused.value)
    assert "学员的学习环境将无法启动" in message and f"{private} 不允许其他用户进入" in message
    assert "PYTHON=/usr/bin/python3.11" in message


@needs_root
@pytest.mark.skipif(not os.access(DEBIAN_PYTHON, os.X_OK), reason="needs Debian's python3.11")
def test_preflight_runs_the_venv_as_an_unprivileged_uid(open_dir):
    """Every folder is open, but the venv has no JupyterHub: only running it as nobody shows
    that a learner's server could not start."""
    bin_dir = fake_venv(open_dir, DEBIAN_PYTHON)
    with pytest.raises(YiyuanError) as refused:
        check_learners_can_run(bin_dir)
    assert "ModuleNotFoundError" in str(refused.value)


@needs_root
def test_preflight_needs_the_platforms_system_user(tmp_path):
    settings = load_settings(
        {
            "YIYUAN_CONFIG": str(
                settings_file(tmp_path, "mode: production\nservice:\n  user: nosuchyy\n")
            )
        }
    )
    with pytest.raises(YiyuanError) as refused:
        check_production_host(settings, None)
    assert "系统用户 nosuchyy（配置项 service.user）不存在" in str(refused.value)
    assert "adduser --system --group" in str(refused.value)
    root = load_settings(
        {
            "YIYUAN_CONFIG": str(
                settings_file(tmp_path, "mode: production\nservice:\n  user: root\n")
            )
        }
    )
    with pytest.raises(YiyuanError, match="低权限系统用户"):
        check_production_host(root, None)


# -- the data directory belongs to the platform's system user ---------------------------------


@needs_root
def test_hand_over_gives_everything_but_the_hubs_files_and_follows_no_link(open_dir):
    data = open_dir / "data"
    (data / "secrets").mkdir(parents=True)
    (data / "secrets" / "roster-sync.token").write_text("t")
    (data / "yiyuan.sqlite").write_text("")
    for name in ("jupyterhub.sqlite", "jupyterhub.sqlite-journal", "jupyterhub_cookie_secret"):
        (data / name).write_text("")
    outside = open_dir / "outside"
    outside.write_text("")
    (data / "link").symlink_to(outside)
    (open_dir / "elsewhere").mkdir()
    (open_dir / "elsewhere" / "file").write_text("")
    (data / "folder-link").symlink_to(open_dir / "elsewhere", target_is_directory=True)
    changed = hand_over_data_dir(data, NOBODY)
    assert changed == 6  # data, secrets, the token, yiyuan.sqlite, the two links themselves
    for path in (data, data / "secrets", data / "secrets" / "roster-sync.token"):
        assert path.stat().st_uid == NOBODY.pw_uid, path
    assert (data / "yiyuan.sqlite").stat().st_uid == NOBODY.pw_uid
    assert os.lstat(data / "link").st_uid == NOBODY.pw_uid
    assert outside.stat().st_uid == 0
    assert (open_dir / "elsewhere").stat().st_uid == 0
    assert (open_dir / "elsewhere" / "file").stat().st_uid == 0
    for name in ("jupyterhub.sqlite", "jupyterhub.sqlite-journal", "jupyterhub_cookie_secret"):
        assert (data / name).stat().st_uid == 0, name
    assert hand_over_data_dir(data, NOBODY) == 0


@needs_root
def test_hub_files_the_service_user_could_have_planted_are_refused(open_dir):
    data = open_dir / "data"
    (data / "secrets").mkdir(parents=True)
    (data / "secrets" / "roster-sync.token").write_text("t")
    (data / "jupyterhub.sqlite").write_text("")
    (data / "jupyterhub_cookie_secret").write_text("")
    check_hub_files(data)  # root's own files: nothing to say
    # a pid file linked elsewhere is just removed (the hub writes a new one)
    (data / "proxy.pid").symlink_to(open_dir / "victim")
    check_hub_files(data)
    assert not os.path.lexists(data / "proxy.pid")
    # a cookie secret the service user made would let it sign anyone's login
    os.chown(data / "jupyterhub_cookie_secret", NOBODY.pw_uid, NOBODY.pw_gid)
    with pytest.raises(YiyuanError, match="jupyterhub_cookie_secret 不是 root 的普通文件"):
        check_hub_files(data)
    (data / "jupyterhub_cookie_secret").unlink()
    (data / "jupyterhub_cookie_secret").symlink_to("/etc/hostname")
    with pytest.raises(YiyuanError, match="不是 root 的普通文件"):
        check_hub_files(data)
    (data / "jupyterhub_cookie_secret").unlink()
    # root reads the token: never through a link
    (data / "secrets" / "roster-sync.token").unlink()
    (data / "secrets" / "roster-sync.token").symlink_to("/etc/shadow")
    with pytest.raises(YiyuanError, match=r"roster-sync\.token 是符号链接"):
        check_hub_files(data)


@needs_root
def test_the_hub_stops_whatever_the_service_user_still_runs():
    # a uid no one uses (no passwd entry needed): its process stands for a left-over service
    account = pwd.struct_passwd(("yytest", "x", 63917, 63917, "", "/", "/bin/false"))
    sleeper = subprocess.Popen(["sleep", "600"], user=63917, group=63917, extra_groups=[])
    try:
        assert stop_processes_of(account) == []
        assert sleeper.wait(timeout=10) == -15  # SIGTERM
    finally:
        sleeper.kill()
        sleeper.wait()


@needs_root
@pytest.mark.skipif(not os.access(DEBIAN_PYTHON, os.X_OK), reason="needs Debian's python3.11")
def test_services_check_reads_the_settings_file_and_home_as_the_service_user(open_dir):
    config = settings_file(open_dir, "mode: production\nservice:\n  user: nobody\n")
    config.chmod(0o600)
    settings = load_settings({"YIYUAN_CONFIG": str(config)})
    (open_dir / "data").mkdir()
    with pytest.raises(YiyuanError) as unreadable:
        check_services_can_start(settings, str(config), Path(DEBIAN_PYTHON))
    assert f"无法读取配置文件 {config}：请运行 chgrp nobody" in str(unreadable.value)
    # handed over before the check
    assert (open_dir / "data").stat().st_uid == NOBODY.pw_uid
    config.chmod(0o644)
    with pytest.raises(YiyuanError) as homeless:
        check_services_can_start(settings, str(config), Path(DEBIAN_PYTHON))
    assert f"的主目录 {NOBODY.pw_dir} 不存在或不可写" in str(homeless.value)


# -- hub_config: which services run as whom ---------------------------------------------------

FACTS = hub_config.HostFacts(project_root=ROOT, bin_dir=BIN, as_root=True)


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("mode: production\n", "yiyuan"),
        ("mode: production\nservice:\n  user: yyplatform\n", "yyplatform"),
        ("mode: production\nservice:\n  user: ''\n", None),
        ("mode: demo\n", None),
    ],
)
def test_services_run_as_the_service_user_in_production_only(tmp_path, text, user):
    c = Config()
    settings = load_settings({"YIYUAN_CONFIG": str(settings_file(tmp_path, text))})
    hub_config.configure_services(c, settings, FACTS)
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert set(services) >= {"yiyuan", "grader", "roster-sync", "idle-culler"}
    # the grader starts as root and drops to the user itself (keeping root for its kernels)
    assert "user" not in services.pop("grader")
    assert all(s.get("user") == user for s in services.values()), services
