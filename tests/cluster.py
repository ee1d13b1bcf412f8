"""A cluster in miniature on one machine, for tests/test_replicas.py and bench/replicas.py.

One hub (``tests/hubtest.Hub``) registers the yiyuan service as an external service at the
address of :class:`RoundRobinProxy` (``service.external_url``), which hands each request to
the next of several ``yiyuan service run --listen`` replicas started here, outside the hub; the
hub starts no grading pool (``grading.run_by_hub: false``): pools are ``yiyuan grading run``
processes started here too. Every process has its own working directory, home, log and settings
file; what they share is the platform database (PostgreSQL) and the data directory's storage
(releases, submissions, nbgrader course directories).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbgrader
import yaml
from tornado import httputil, web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httpserver import HTTPServer

from hubtest import BIN, ROOT, Hub, free_port

#: headers that belong to one connection, not to the request (RFC 9110 § 7.6.1)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}
SERVICE_PREFIX = "/services/yiyuan/"
#: what a grading worker logs before its first poll (yiyuan.grading.worker.worker_main)
WORKER_READY = re.compile(r"grading worker \S+ \(slot \d+\) ready")


@dataclass(frozen=True)
class Forwarded:
    """One request the proxy handed on: to which backend, what, and the answer's status."""

    backend: int
    method: str
    path: str
    status: int


class RoundRobinProxy:
    """A load balancer in a thread of this process: each request goes to the next backend in
    turn (a request at a time, whoever sent it), streamed through unchanged (the ``Host``
    header, cookies, gzip bodies, redirects), and recorded in :attr:`forwarded`."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.port = free_port()
        self.forwarded: list[Forwarded] = []
        self._turn = itertools.count()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def counts(self) -> list[int]:
        """Requests handed to each backend so far."""
        counts = [0] * len(self.backends)
        for request in list(self.forwarded):
            counts[request.backend] += 1
        return counts

    def start(self) -> None:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise AssertionError("the round-robin proxy did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            assert not self._thread.is_alive(), "the round-robin proxy did not stop"
        self._thread = self._loop = None

    def next_backend(self) -> int:
        return next(self._turn) % len(self.backends)

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop

        async def setup():
            server = HTTPServer(
                web.Application([(r".*", _Forward, {"proxy": self})]),
                max_body_size=256 * 2**20,
            )
            server.listen(self.port, "127.0.0.1")
            # its own client, on this loop (no pooling across loops)
            self.client = AsyncHTTPClient(force_instance=True, max_body_size=256 * 2**20)
            return server

        server = loop.run_until_complete(setup())
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.stop()
            loop.run_until_complete(server.close_all_connections())
            self.client.close()
            loop.close()


class _Forward(web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def initialize(self, proxy: RoundRobinProxy) -> None:
        self.proxy = proxy

    def check_xsrf_cookie(self) -> None:  # a proxy checks nothing
        pass

    async def _forward(self, *_args) -> None:
        index = self.proxy.next_backend()
        headers = httputil.HTTPHeaders()
        for name, value in self.request.headers.get_all():
            if name.lower() not in HOP_BY_HOP:
                headers.add(name, value)
        method = self.request.method
        body = (
            self.request.body if (self.request.body or method in ("POST", "PUT", "PATCH")) else None
        )
        request = HTTPRequest(
            self.proxy.backends[index] + self.request.uri,
            method=method,
            headers=headers,
            body=body,
            follow_redirects=False,
            decompress_response=False,
            allow_nonstandard_methods=True,
            request_timeout=600,
        )
        response = await self.proxy.client.fetch(request, raise_error=False)
        path = self.request.uri.split("?")[0]
        self.proxy.forwarded.append(Forwarded(index, method, path, response.code))
        if response.code == 599:  # the backend did not answer
            self.set_status(502)
            self.finish(f"backend {index}: {response.error}")
            return
        self.set_status(response.code, response.reason)
        for name in ("Content-Type", "Server", "Date"):
            self.clear_header(name)
        for name, value in response.headers.get_all():
            if name.lower() not in HOP_BY_HOP:
                self.add_header(name, value)
        if response.body and method != "HEAD" and response.code not in (204, 304):
            self.write(response.body)
        self.finish()

    get = head = post = put = patch = delete = options = _forward


# -- the processes -----------------------------------------------------------------------------


@dataclass
class Started:
    """A process started here: its folder (working directory, home, settings, log)."""

    name: str
    folder: Path
    process: subprocess.Popen
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "log.txt"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def own_settings(hub: Hub, folder: Path, **changes: dict) -> Path:
    """A settings file of its own for a process of ``hub``'s platform: the hub's (the same
    database and data directory), with ``changes`` (section → values) merged in."""
    settings = yaml.safe_load(hub.config_file.read_text(encoding="utf-8"))
    for section, values in changes.items():
        settings.setdefault(section, {}).update(values)
    path = folder / "yiyuan.yml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


def _start(name: str, folder: Path, command: list[str], env: dict) -> Started:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "home").mkdir(exist_ok=True)
    with (folder / "log.txt").open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=folder,
            env={**env, "HOME": str(folder / "home")},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Started(name, folder, process)


def base_env(config: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIYUAN_", "JUPYTERHUB_"))}
    env["YIYUAN_CONFIG"] = str(config)
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    return env


def start_replica(hub: Hub, folder: Path, token: str, processes: int = 1) -> tuple[Started, str]:
    """``yiyuan service run --listen`` outside the hub, with the environment docs/deploy.md
    names for a replica (nothing else of the hub's); returns it and its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = own_settings(hub, folder, service={"processes": processes})
    env = base_env(config)
    env.update(
        JUPYTERHUB_API_TOKEN=token,
        JUPYTERHUB_API_URL=f"http://127.0.0.1:{hub.hub_port}/hub/api",
        JUPYTERHUB_SERVICE_PREFIX=SERVICE_PREFIX,
    )
    command = [str(BIN / "yiyuan"), "service", "run", f"--listen=127.0.0.1:{port}"]
    return _start(folder.name, folder, command, env), f"http://127.0.0.1:{port}"


def start_pool(hub: Hub, folder: Path, workers: int, sandbox_uid: int) -> Started:
    """``yiyuan grading run`` outside the hub; its sandboxed kernels get uids from
    ``sandbox_uid`` on (pools on one machine must not share them)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = own_settings(hub, folder, grading={"workers": workers, "sandbox_uid": sandbox_uid})
    command = [str(BIN / "yiyuan"), "grading", "run", f"--workers={workers}"]
    return _start(folder.name, folder, command, base_env(config))


def wait_listening(url: str, started: Started, timeout: float = 60) -> None:
    host, port = url.removeprefix("http://").split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if started.process.poll() is not None:
            raise AssertionError(f"{started.name} ended at start:\n{started.log_text()[-4000:]}")
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{started.name} not listening within {timeout} s")


def wait_pool_ready(started: Started, workers: int = 1, timeout: float = 120) -> None:
    """Until the pool's ``workers`` have started (sandbox checked, nbgrader imported: each
    logs that it is ready before its first poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if started.process.poll() is not None:
            raise AssertionError(f"{started.name} ended at start:\n{started.log_text()[-4000:]}")
        if len(WORKER_READY.findall(started.log_text())) >= workers:
            return
        time.sleep(0.3)
    raise AssertionError(f"{started.name} did not start within {timeout} s")


def stop(started: list[Started], timeout: float = 30) -> None:
    """SIGTERM to each (as Kubernetes stops a pod), then wait; one still running is killed
    with its session and the failure named."""
    for one in started:
        if one.process.poll() is None:
            one.process.send_signal(signal.SIGTERM)
    stuck = []
    for one in started:
        try:
            one.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stuck.append(one.name)
            os.killpg(one.process.pid, signal.SIGKILL)
            one.process.wait(10)
    assert not stuck, f"still running {timeout} s after SIGTERM: {stuck}"


# -- the course: nbgrader's own assignment ps1, autograded in kernels --------------------------

PS1_COURSE, PS1_MODULE = "nbgrader-ps1", "ps1"
PS1_SOURCE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide" / "source" / "ps1"


def courses_with_ps1(folder: Path) -> Path:
    """The demo courses and nbgrader's documentation assignment ps1 as a platform course (code
    written by learners, graded by running it: a sandboxed kernel per notebook)."""
    courses = folder / "courses"
    shutil.copytree(ROOT / "courses", courses)
    shutil.copytree(PS1_SOURCE, courses / "notebooks" / PS1_COURSE / PS1_MODULE)
    (courses / f"{PS1_COURSE}.yml").write_text(
        f"id: {PS1_COURSE}\n"
        "title: nbgrader 示例作业\n"
        "summary: nbgrader 文档自带的示例作业 ps1。\n"
        "category: 专业技能\n"
        "trainers: [lihua]\n"
        "audience: {associations: [全部]}\n"
        "enrolment: elective\n"
        "modules:\n"
        f"  - {{id: {PS1_MODULE}, title: 示例作业, kind: online, hours: 1, required: true,\n"
        "     pass: {quiz: 60}, lessons: [problem1.ipynb, problem2.ipynb]}\n",
        "utf-8",
    )
    return courses


def ps1_solved(folder: Path) -> None:
    """A learner's folder with the trainer's solution in it (every autograded test passes)."""
    for path in PS1_SOURCE.glob("*.ipynb"):
        shutil.copyfile(path, folder / path.name)
