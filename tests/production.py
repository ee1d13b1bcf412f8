"""Production mode for tests: the venv the docs install, and the system users tests create.

``production_bin`` (conftest.py) builds the venv once per session with the docs' own command.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hubtest import ROOT

DEBIAN_PYTHON = "/usr/bin/python3.11"
VENV = ".venv-production"


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; in CI a skip would hide a broken production mode."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def build_production_venv() -> Path:
    """The venv the docs install (``make setup PYTHON=/usr/bin/python3.11``), here under
    another name so that it does not replace the development venv."""
    if os.geteuid() != 0:
        unavailable("production mode needs root (system users)")
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        unavailable(f"{DEBIAN_PYTHON} is missing (apt-get install python3.11 python3.11-venv)")
    # one build at a time: each pytest-xdist worker asks, the first builds, the others wait and
    # find it made (make's targets are then up to date)
    with open(ROOT / f"{VENV}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = subprocess.run(
            ["make", "setup", f"VENV={VENV}", f"PYTHON={DEBIAN_PYTHON}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return ROOT / VENV / "bin"


def processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except FileNotFoundError:
                pass
    return found


def remove_system_user(name: str) -> None:
    """Stop what still runs as ``name`` (only users this test created), then ``userdel -r``."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for _ in range(50):
        pids = processes_of(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
    subprocess.run(["userdel", "-r", name], capture_output=True, timeout=60)
    subprocess.run(["groupdel", name], capture_output=True, timeout=60)
    assert name not in {entry.pw_name for entry in pwd.getpwall()}, f"{name} was not removed"
