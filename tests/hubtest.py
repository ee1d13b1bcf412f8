"""A real JupyterHub for tests: started from the project's jupyterhub_config.py in its own
process, on free ports, with its own data directory; plus an HTTP client that logs in the way
a browser does."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A free port below the kernel's ephemeral range: a port the OS hands out for ``bind(0)``
    (kernels, browsers, clients) could be taken again before the hub binds it."""
    low = _ephemeral_range()[0]
    if low <= 10000:  # no room below it: take what the OS gives
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    while True:
        port = random.randrange(10000, low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def processes_under(folder: Path) -> dict[int, str]:
    """Running processes (pid → command line) that belong to ``folder``: it is in their
    environment (a hub's settings file and data dir, servers' and kernels' homes), their
    command line (sandbox mounts) or their working directory. Not this process or its
    ancestors."""
    needle = f"{os.path.abspath(folder)}/"
    mine = {os.getpid()}
    pid = os.getpid()
    while pid > 1:  # the test process's ancestors (make, a shell) may name the folder too
        pid = _parent(pid)
        mine.add(pid)
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine or not _running(int(entry)):
            continue
        command = _proc(entry, "cmdline").replace(b"\0", b" ").decode(errors="replace")
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd") + "/"
        except OSError:
            cwd = ""
        if (
            needle.encode() in _proc(entry, "environ")
            or needle in command
            or cwd.startswith(needle)
        ):
            found[int(entry)] = command.strip()
    return found


def _proc(pid, name: str) -> bytes:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _parent(pid: int) -> int:
    stat = _proc(pid, "stat")
    return int(stat.rpartition(b")")[2].split()[1]) if stat else 0


def _running(pid: int) -> bool:
    stat = _proc(pid, "stat")
    return bool(stat) and stat.rpartition(b")")[2].split()[0] != b"Z"


def wait_for(predicate, timeout: float, what: str):
    """``predicate()``'s first true value, asked every 0.2 s (a bound for polling, not a
    timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout} s")


def kill_all(pids) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_until_gone(folder: Path, timeout: float) -> dict[int, str]:
    """Poll until no process of ``folder`` runs, at most ``timeout`` s; what still runs."""
    deadline = time.monotonic() + timeout
    while (left := processes_under(folder)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


#: processes a Hub.stop() had to kill (they outlived their hub): the session fails on them
KILLED_AT_STOP: dict[int, str] = {}


def yiyuan(*args: str, env: dict, stdin: str = "", check: bool = True):
    """Run the real ``yiyuan`` command."""
    result = subprocess.run(
        [str(BIN / "yiyuan"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"yiyuan {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class Hub:
    """A hub process and its settings. ``start()``/``stop()`` may be called repeatedly."""

    workdir: Path
    settings: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    #: more variables for the hub and the commands (e.g. YIYUAN_SERVICE_API_TOKEN)
    environment: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.port = free_port()
        self.hub_port = free_port()
        base = {
            "data_dir": str(self.data_dir),
            "hub": {
                "port": self.port,
                "proxy_api_port": free_port(),
                "hub_port": self.hub_port,
                # tests of learners' servers start them by hand on compiled demo courses; the
                # default ("needed": none for compiled lessons) is tested in
                # test_lessons_compiled
                "learner_servers": "always",
            },
            "culler": {"idle_timeout": 600, "every": 60},
            # the yiyuan and dashboards services: their own free ports, so that hubs never
            # share one
            "service": {"port": free_port()},
            # off unless a test needs it: a Voila process per hub costs seconds of the suite
            "dashboards": {"port": free_port(), "enabled": False},
            # one grading worker: the test machine has two cores and runs a hub besides
            "grading": {"workers": 1},
            # no messages service unless a test needs it (pages collect their viewer's own)
            "messages": {"every": 0},
        }
        _merge(base, self.settings)
        self.config_file = self.workdir / "yiyuan.yml"
        self.config_file.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
        self.log_file = self.workdir / "hub.log"

    @property
    def env(self) -> dict:
        # the suite's compiled-lesson cache (conftest) is the one YIYUAN_ variable kept
        keep = {"YIYUAN_COMPILE_CACHE"}
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIYUAN_") or k in keep}
        env["YIYUAN_CONFIG"] = str(self.config_file)
        env.update(self.environment)
        return env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, stdin: str = "", check: bool = True):
        return yiyuan(*args, env=self.env, stdin=stdin, check=check)

    def start(self, timeout: float = 60) -> None:
        # JupyterHub gives configurable-http-proxy a fixed 10 s to answer (proxy.py, not
        # configurable); on a loaded 2-core CI machine node has been seen to need 11 s. That
        # start is tried again, up to twice; any other failure fails at once.
        for attempt in range(3):
            try:
                return self._start_once(timeout)
            except ProxyTooSlow:
                if attempt == 2:
                    raise

    def _start_once(self, timeout: float) -> None:
        log = self.log_file.open("a")
        log_start = log.tell()
        self.process = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(ROOT / "jupyterhub_config.py")],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._kill_everything()
                failure = ProxyTooSlow if self._proxy_failed(log_start) else AssertionError
                raise failure(f"hub exited at start:\n{self.log()}")
            try:
                if requests.get(self.url + "/hub/api/", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        self._kill_everything()
        raise AssertionError(f"hub did not answer within {timeout} s:\n{self.log()}")

    def _proxy_failed(self, log_start: int) -> bool:
        with self.log_file.open(errors="replace") as log:
            log.seek(log_start)
            return "Failed to start proxy" in log.read()

    def _kill_everything(self) -> None:
        """A hub that failed to start: nothing of it may stay (proxy, services, servers)."""
        kill_all([self.process.pid, *self.processes()])
        self.process.wait(10)

    def processes(self) -> dict[int, str]:
        """Every running process of this hub: itself, the proxy, services and their workers,
        single-user servers, kernels (pid → command line)."""
        return processes_under(self.workdir)

    def kill(self) -> None:
        """``kill -9`` of the hub process alone (what it started is left to itself)."""
        self.process.kill()
        self.process.wait(10)
        self.process = None

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM (``systemctl stop``): the hub stops its servers, services and proxy. Then
        wait for every process of the hub to end; what outlives the bound is killed and
        recorded in KILLED_AT_STOP (the session's end check fails on it)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None
        left = wait_until_gone(self.workdir, 15)
        if left:
            KILLED_AT_STOP.update(left)
            kill_all(left)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-6000:]

    def browser(self) -> Browser:
        return Browser(self.url)


class ProxyTooSlow(AssertionError):
    """The hub gave up on configurable-http-proxy answering within its fixed 10 s."""


class Browser:
    """A requests session that behaves like a browser on the hub's HTML forms."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        # Pages declare UTF-8 in <meta charset>; requests would otherwise guess Latin-1.
        self.session.hooks["response"].append(_utf8)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url + path, timeout=60, **kwargs)

    def xsrf(self, path: str = "/hub/") -> str:
        return self.session.cookies.get("_xsrf", path=path) or ""

    def server_api(self, user: str, path: str) -> requests.Response:
        """GET a single-user server's API the way JupyterLab's own scripts do."""
        prefix = f"/user/{user}/"
        return self.get(prefix + path, headers={"X-XSRFToken": self.xsrf(prefix)})

    def post_form(self, path: str, data: dict, **kwargs) -> requests.Response:
        if not self.xsrf():
            self.get("/hub/login")
        return self.session.post(
            self.url + path, data={**data, "_xsrf": self.xsrf()}, timeout=120, **kwargs
        )

    def login(self, username: str, password: str, **kwargs) -> requests.Response:
        self.get("/hub/login")
        return self.post_form("/hub/login", {"username": username, "password": password}, **kwargs)

    def wait_for_server(self, user: str, timeout: float = 90) -> None:
        """Wait until the user's server is ready, as the spawn-pending page's script does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.get(f"/hub/api/users/{user}", headers={"X-XSRFToken": self.xsrf()})
            server = model.json().get("servers", {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(0.5)
        raise AssertionError(f"server of {user} not ready within {timeout} s")

    def token(self) -> str:
        """An API token for the logged-in user, made through the hub's own REST API."""
        user = self.get("/hub/api/user", headers={"X-XSRFToken": self.xsrf()}).json()["name"]
        response = self.session.post(
            f"{self.url}/hub/api/users/{user}/tokens",
            json={"note": "test"},
            headers={"X-XSRFToken": self.xsrf()},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["token"]


def hold_session_on(hub: Hub, session_id: int, day) -> None:
    """Move an on-site session of ``hub``'s (SQLite) platform database to ``day`` (an aware
    datetime): a check-in code opens only on the session's day."""
    import sqlite3
    from datetime import UTC

    with sqlite3.connect(hub.data_dir / "yiyuan.sqlite") as connection:
        connection.execute(
            "UPDATE onsite_sessions SET starts_at = ? WHERE id = ?",
            (day.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), session_id),
        )


DESKTOP = {"width": 1280, "height": 800}

#: what went wrong in each watched page (console errors, uncaught errors, failed requests)
_PROBLEMS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def watch_problems(page) -> list[str]:
    """Record what goes wrong in ``page`` from now on, for a failing wait to report."""
    problems = _PROBLEMS.setdefault(page, [])
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url[:200]} {r.failure}"))
    return problems


def wait_until_marked(page, selector: str, timeout_ms: int) -> None:
    """Wait for ``selector``; on a timeout, say what the page went through (a hang on a slow
    machine and a script that broke look alike otherwise)."""
    try:
        page.locator(selector).wait_for(timeout=timeout_ms)
    except Exception as error:
        seen = _PROBLEMS.get(page, ["(page not watched)"])
        raise AssertionError(f"{selector} not there at {page.url}: {error}; page: {seen}") from None


class BrowserSession:
    """A Chromium context logged in through the hub's login page, recording every request
    that leaves 127.0.0.1 (pages must load nothing from outside)."""

    def __init__(self, chromium, hub: Hub, viewport: dict, user: str, password: str) -> None:
        self.context = chromium.new_context(locale="zh-CN", viewport=viewport)
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.page.on("request", self._request)
        self.problems = watch_problems(self.page)
        self.page.goto(f"{hub.url}/hub/login")
        self.page.get_by_label("用户名").fill(user)
        self.page.get_by_label("密码", exact=True).fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url("**/services/yiyuan/**")

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob") and url.hostname != "127.0.0.1":
            self.external.append(request.url)

    def close(self) -> None:
        self.context.close()


def login_page(
    chromium,
    hub: Hub,
    username: str,
    password: str = "",
    viewport: dict | None = None,
    next_url: str = "",
):
    """A Chromium page logged in to ``hub`` as ``username`` (the demo password by default),
    after the login form's submit; the caller waits for where it lands."""
    from yiyuan.demo import DEMO_PASSWORD

    context = chromium.new_context(locale="zh-CN", viewport=viewport or DESKTOP)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password or DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def _utf8(response: requests.Response, *args, **kwargs) -> requests.Response:
    if "charset" not in response.headers.get("Content-Type", ""):
        response.encoding = "utf-8"
    return response


def _merge(base: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


#: headless Chromium (Debian's /usr/bin/chromium) as the browser tests launch it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # this machine has no internet: stop Chromium's own background connections
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}


# -- a kernel of a user's server, spoken to as JupyterLab does ---------------------------------


def kernel_socket(hub: Hub, browser, user: str, kernel_id: str):
    """The kernel's websocket through the proxy, with the browser's cookies."""
    from websockets.sync.client import connect

    cookies = "; ".join(f"{c.name}={c.value}" for c in browser.session.cookies)
    url = f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{kernel_id}/channels"
    return connect(url, additional_headers={"Cookie": cookies}, open_timeout=60)


def shell_message(msg_type: str, content: dict, user: str = "test") -> tuple[str, str]:
    """(msg_id, the message as JSON) for the kernel's shell channel."""
    import json
    import uuid

    msg_id = uuid.uuid4().hex
    message = {
        "header": {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": user,
            "session": "test",
            "version": "5.3",
            "date": "",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
    }
    return msg_id, json.dumps(message)


def reply_to(socket, msg_id: str, timeout: float = 60) -> dict:
    import json

    while True:
        message = json.loads(socket.recv(timeout=timeout))
        if message.get("parent_header", {}).get("msg_id") == msg_id and message[
            "msg_type"
        ].endswith("_reply"):
            return message


def run_code(hub: Hub, browser, user: str, code: str, timeout: float = 180) -> str:
    """Run ``code`` in a new kernel of ``user``'s running server, as a notebook cell would;
    return what it printed (an error fails). The kernel is shut down afterwards."""
    import json

    prefix = f"/user/{user}/"
    if not browser.xsrf(prefix):
        browser.get(prefix + "lab")  # JupyterLab's page sets the server's _xsrf cookie
    headers = {"X-XSRFToken": browser.xsrf(prefix)}
    started = browser.session.post(
        f"{hub.url}{prefix}api/kernels", json={}, headers=headers, timeout=60
    )
    assert started.status_code == 201, started.text
    kernel_id = started.json()["id"]
    printed: list[str] = []
    try:
        with kernel_socket(hub, browser, user, kernel_id) as socket:
            msg_id, message = shell_message("execute_request", {"code": code}, user)
            socket.send(message)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                reply = json.loads(socket.recv(timeout=timeout))
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = reply["msg_type"], reply["content"]
                if kind == "stream":
                    printed.append(content["text"])
                elif kind == "error":
                    raise AssertionError("".join(printed) + "\n".join(content["traceback"]))
                elif kind == "status" and content["execution_state"] == "idle":
                    return "".join(printed)  # after every output of the cell
            raise AssertionError(f"no reply within {timeout} s: {''.join(printed)}")
    finally:
        browser.session.delete(f"{hub.url}{prefix}api/kernels/{kernel_id}", headers=headers)
