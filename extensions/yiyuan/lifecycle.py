"""Platform processes end with the hub that started them.

The hub starts its managed services and the proxy in sessions of their own (so a Ctrl-C in the
terminal reaches only the hub), which also means nothing stops them when the hub is killed.
Two mechanisms keep exactly one of each:

- ``python -m yiyuan.lifecycle --hub-pid PID --data-dir DIR -- COMMAND…`` is how the hub
  starts each service and the proxy (``hub_config``). It asks Linux to send SIGTERM when the
  hub dies (``PR_SET_PDEATHSIG``), gives up if the hub is already gone, marks the environment
  (``YIYUAN_HUB_PID``, ``YIYUAN_HUB_DATA_DIR``: inherited by the services' own children), puts
  stdin on ``/dev/null`` (Jupyter servers otherwise ask "Shutdown this Jupyter server?" on the
  hub's terminal instead of stopping) and then execs the command, keeping its pid.
- :func:`stop_leftovers`, run by ``jupyterhub_config.py`` before anything starts, stops what a
  dead hub of the same data directory left running (a process whose marker names a hub that is
  gone), and removes a proxy pid file that names some other program, so that JupyterHub's own
  take-over of a leftover proxy (by its pid file) never signals an innocent process.

Learners' single-user servers are deliberately not marked: JupyterHub keeps them across a hub
restart and the restarted hub adopts them (their pids are in its database); a full stop
(``cleanup_servers``) stops them.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from pathlib import Path

HUB_PID_ENV = "YIYUAN_HUB_PID"
DATA_DIR_ENV = "YIYUAN_HUB_DATA_DIR"
#: JupyterHub's ConfigurableHTTPProxy.pid_file (set by hub_config.hub)
PROXY_PID_FILE = "proxy.pid"
_PR_SET_PDEATHSIG = 1


def launcher_command(
    python: Path | str, hub_pid: int, data_dir: Path | str, command: list[str]
) -> list[str]:
    """``command`` started through the launcher (run by ``python``, which has yiyuan), so
    that it ends with the hub ``hub_pid``."""
    return [
        str(python),
        "-m",
        "yiyuan.lifecycle",
        f"--hub-pid={hub_pid}",
        f"--data-dir={os.path.abspath(data_dir)}",
        "--",
        *command,
    ]


def die_with_parent(parent_pid: int, signum: int = signal.SIGTERM) -> None:
    """Have the kernel send ``signum`` to this process when its parent ends; if the parent
    (``parent_pid``, when known) has already ended, send it now."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # the parent may have died between our fork and the prctl: then no signal would come
    if parent_pid and os.getppid() != parent_pid:
        os.kill(os.getpid(), signum)


def main(argv: list[str]) -> None:
    try:
        split = argv.index("--")
    except ValueError:
        sys.exit("usage: python -m yiyuan.lifecycle --hub-pid=PID --data-dir=DIR -- COMMAND…")
    options = dict(arg.removeprefix("--").split("=", 1) for arg in argv[:split])
    command = argv[split + 1 :]
    hub_pid = int(options["hub-pid"])
    os.environ[HUB_PID_ENV] = str(hub_pid)
    os.environ[DATA_DIR_ENV] = options["data-dir"]
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    die_with_parent(hub_pid)
    os.execvp(command[0], command)


# -- what a dead hub left behind --------------------------------------------------------------


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _environ(pid: int) -> dict[str, str]:
    pairs = (item.partition(b"=") for item in _read(f"/proc/{pid}/environ").split(b"\0"))
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs if k}


def cmdline(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped, is not)."""
    stat = _read(f"/proc/{pid}/stat")
    return bool(stat) and stat.rpartition(b")")[2].split()[0] != b"Z"


def _hub_alive(pid: int) -> bool:
    return pid == os.getpid() or (alive(pid) and "jupyterhub" in cmdline(pid))


def leftovers(data_dir: Path | str) -> list[int]:
    """Processes started for ``data_dir`` by a hub that is no longer running (services, their
    workers and kernels, the proxy)."""
    data_dir = os.path.abspath(data_dir)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        environ = _environ(int(entry))
        if environ.get(DATA_DIR_ENV) != data_dir:
            continue
        try:
            hub_pid = int(environ.get(HUB_PID_ENV, ""))
        except ValueError:
            continue
        if not _hub_alive(hub_pid) and alive(int(entry)):
            found.append(int(entry))
    return sorted(found)


def check_proxy_pid_file(data_dir: Path | str) -> None:
    """JupyterHub stops the process named in the proxy's pid file without checking what it
    is (``os.kill(pid, 0)``): after a reboot that pid may be anything. Keep the file only
    while it names a configurable-http-proxy."""
    path = Path(data_dir) / PROXY_PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    if not (alive(pid) and "configurable-http-proxy" in cmdline(pid)):
        path.unlink(missing_ok=True)


def stop_leftovers(data_dir: Path | str, grace: float = 10.0, log=None) -> list[int]:
    """SIGTERM what a dead hub of ``data_dir`` left running, SIGKILL what is still there after
    ``grace`` seconds (a grading pool gives back its jobs within that time). Returns the pids."""
    pids = leftovers(data_dir)
    if pids:
        if log:
            log(f"stopping {len(pids)} process(es) left by a hub that ended: {pids}")
        _signal_all(pids, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            time.sleep(0.1)
        _signal_all([p for p in pids if alive(p)], signal.SIGKILL)
    check_proxy_pid_file(data_dir)
    return pids


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
