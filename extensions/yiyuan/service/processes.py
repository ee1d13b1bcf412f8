"""Several processes of the service behind one port, and the one that watches them.

The service's handlers run on one event loop per process; a crowd of learners saving answers
every few seconds needs more than one core's worth (bench/load.py). The listening socket is
opened once and inherited by ``count`` forked children; the kernel hands each connection to
one of them. The parent only watches:

- SIGTERM or SIGINT (the hub stopping its service): passed on to the children, which finish
  their open requests (``STOP_GRACE``) and exit; one still running after that is killed;
- a child that dies on its own is started again (a crash of one request's code must not take
  a quarter of the service away for good); a child that keeps dying ends the service with an
  error, as a single process would, and the hub reports it;
- the children end with the parent (``PR_SET_PDEATHSIG``), and the parent with the hub
  (``yiyuan.lifecycle``), so a ``kill -9`` anywhere above leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable

from ..lifecycle import die_with_parent

log = logging.getLogger("yiyuan.service")

#: a child that died this many times within RESTART_WINDOW seconds is not started again
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


def process_count(setting: int) -> int:
    """``service.processes``: 0 means one per CPU core this process may use."""
    if setting > 0:
        return setting
    return max(1, len(os.sched_getaffinity(0)))


def run_children(count: int, child: Callable[[int], None], stop_grace: float) -> int:
    """Fork ``count`` children running ``child(index)`` and watch them until told to stop;
    the exit status for the service."""
    parent = os.getpid()
    children: dict[int, int] = {}  # pid → index
    deaths: list[float] = []
    stopping = False

    def start(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                die_with_parent(parent)
                child(index)
                status = 0
            except BaseException:
                log.exception("service process %d failed", index)
            finally:
                logging.shutdown()
                os._exit(status)
        children[pid] = index

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _signal(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for index in range(count):
        start(index)
    log.info("yiyuan service: %d processes (%s)", count, ", ".join(map(str, children)))

    failed = False
    deadline = None
    while children:
        if stopping and deadline is None:
            deadline = time.monotonic() + stop_grace + 3
        pid, status = _wait(deadline)
        if pid == 0:  # the children outlived the grace period
            for left in list(children):
                log.warning("service process %d still running at stop: killed", left)
                _signal(left, signal.SIGKILL)
            deadline = time.monotonic() + 5
            continue
        index = children.pop(pid, None)
        if index is None or stopping:
            continue
        log.error("service process %d (pid %d) ended: %s", index, pid, _describe(status))
        now = time.monotonic()
        deaths[:] = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
        if len(deaths) > MAX_RESTARTS:
            log.error("service processes keep ending: stopping the service")
            failed = True
            stop(None, None)
            continue
        start(index)
    return 1 if failed else 0


def _wait(deadline: float | None) -> tuple[int, int]:
    """The next child to end; ``(0, 0)`` when ``deadline`` passes first."""
    while True:
        if deadline is None:
            return os.waitpid(-1, 0)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid or time.monotonic() >= deadline:
            return pid, status
        time.sleep(0.05)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
