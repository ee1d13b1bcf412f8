"""Learners' servers serve lessons and nothing else (yiyuan.exchange.lockdown, started so by
yiyuan.hub.learnerservers); trainers keep JupyterLab; a lesson's kernel goes soon after its page
closes; a burst of spawns meets a waiting page (yiyuan.hub.waiting).

The integration tests share one real hub (demo data, the calligraphy course published) with a
real learner's server, real Voila and real kernels; kernel culling is set short so that the
poll for a closed page's kernel ends quickly (the bound comes from the settings, not a speed).
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from types import SimpleNamespace as Obj

import pytest
from traitlets.config import Config

import hub_config
from hubtest import ROOT, Hub, kernel_socket, reply_to, shell_message
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange.lockdown import DENIED_API, DENIED_TITLE, LESSON_MESSAGES, allowed_path
from yiyuan.exchange.modulefolder import MARKER
from yiyuan.hub.learnerservers import LESSON_AUTHORIZER, LESSON_KERNEL_MANAGER, LessonServerHook
from yiyuan.settings import load_settings

COURSE, MODULE = "shufa-jianshang", "shuti-yanbian"
LEARNER, TRAINER = "wangfang", "lihua"
KERNEL_IDLE, KERNEL_EVERY = 4, 2


# ---------------------------------------------------------------- configuration, no hub


def user(*groups):
    return Obj(groups=[Obj(name=g) for g in groups])


@pytest.mark.parametrize(
    "groups, locked",
    [
        (("learners",), True),
        (("learners", "assoc-music"), True),
        (("managers",), True),
        ((), True),  # no platform role at all: no JupyterLab either
        (("trainers",), False),
        (("learners", "trainers"), False),
        (("administrators",), False),
    ],
)
def test_only_trainers_and_administrators_get_a_full_server(groups, locked):
    hook = LessonServerHook(kernel_idle_timeout=40, kernel_cull_every=10, server_idle_timeout=600)
    spawner = Obj(user=user(*groups), default_url="/lab", args=["--allow-root"])
    hook(spawner)
    joined = " ".join(spawner.args)
    assert spawner.args[0] == "--allow-root"
    assert (f"--ServerApp.authorizer_class={LESSON_AUTHORIZER}" in joined) is locked
    assert (f"--ServerApp.kernel_manager_class={LESSON_KERNEL_MANAGER}" in joined) is locked
    if locked:
        assert spawner.default_url == "/yiyuan/portal"
        assert "--MappingKernelManager.cull_idle_timeout=40" in spawner.args
        assert "--MappingKernelManager.cull_interval=10" in spawner.args
        assert "--ServerApp.shutdown_no_activity_timeout=600" in spawner.args
    else:
        assert spawner.default_url == "/lab" and spawner.args == ["--allow-root"]


def test_hub_config_takes_the_limits_from_the_settings(tmp_path):
    path = tmp_path / "yiyuan.yml"
    path.write_text(
        "hub:\n  concurrent_spawn_limit: 7\n  spawn_retry_min: 5\n  spawn_retry_max: 9\n"
        "culler:\n  learner_idle_timeout: 0\n  lesson_kernel_idle_timeout: 30\n"
        "  lesson_kernel_every: 5\n",
        encoding="utf-8",
    )
    settings = load_settings({"YIYUAN_CONFIG": str(path)}, cwd=tmp_path)
    facts = hub_config.HostFacts(project_root=ROOT, bin_dir=tmp_path, as_root=False)
    c = Config()
    hub_config.configure_hub(c, settings, facts)
    hub_config.configure_spawner(c, settings, facts)
    assert c.JupyterHub.concurrent_spawn_limit == 7
    assert c.JupyterHub.spawn_throttle_retry_range == (5, 9)
    assert c.JupyterHub.template_vars["spawn_queue"]["title"] == "正在排队进入学习环境"
    spawner = Obj(user=user("learners"), default_url="/lab", args=[])
    c.Spawner.pre_spawn_hook(spawner)
    assert "--MappingKernelManager.cull_idle_timeout=30" in spawner.args
    assert "--MappingKernelManager.cull_interval=5" in spawner.args
    assert not any("shutdown_no_activity_timeout" in a for a in spawner.args)  # 0: off
    defaults = load_settings({}, cwd=tmp_path)
    # a closed page's kernel is gone within a minute (timeout + one check interval)
    assert defaults.culler.lesson_kernel_idle_timeout + defaults.culler.lesson_kernel_every < 60
    assert 0 < defaults.hub.concurrent_spawn_limit
    assert defaults.culler.learner_idle_timeout < defaults.culler.idle_timeout


def test_the_gate_lets_through_only_what_a_lesson_needs(tmp_path):
    module = tmp_path / COURSE / MODULE
    module.mkdir(parents=True)
    (module / MARKER).write_text("{}", encoding="utf-8")
    (tmp_path / "notes").mkdir()
    base = "/user/wangfang/"
    kernel = str(uuid.uuid4())
    for path in (
        "",
        f"yiyuan/open/{COURSE}/{MODULE}",
        "yiyuan/portal",
        f"voila/render/{COURSE}/{MODULE}/{MODULE}.ipynb",
        f"voila/render/{COURSE}/{MODULE}/%E4%B9%A6.ipynb",
        f"voila/files/{COURSE}/{MODULE}/pic.png",
        f"files/{COURSE}/{MODULE}/pic.png",
        "voila/static/voila.js",
        "voila/templates/yiyuan/static/x.css",
        f"voila/api/shutdown/{kernel}",
        f"api/kernels/{kernel}/channels",
        f"api/kernels/{kernel}",  # its model (the Authorizer: a running kernel, read only)
        "static/favicons/favicon.ico",
        "oauth_callback",
        "logout",
    ):
        assert allowed_path(base + path, base, tmp_path), path
    for path in (
        "lab",
        "lab/tree/x.ipynb",
        "tree",
        "notebooks/x.ipynb",
        "edit/x.py",
        "terminals/1",
        "api/terminals",
        "api/contents",
        f"api/contents/{COURSE}/{MODULE}/answers.json",
        "api/kernels",
        f"api/kernels/{kernel}/restart",
        f"api/kernels/{kernel}/interrupt",
        "api/sessions",
        "api/kernelspecs",
        "api/me",
        "api/status",
        f"nbconvert/html/{COURSE}/{MODULE}/{MODULE}.ipynb",
        "voila",
        "voila/tree",
        "voila/api/contents",
        f"voila/render/{COURSE}/{MODULE}/answers.json",
        "voila/render/notes/x.ipynb",
        f"voila/render/{COURSE}/{MODULE}/../../notes/x.ipynb",
        f"voila/render/{COURSE}/{MODULE}/%2E%2E/x.ipynb",
        f"files/{COURSE}/{MODULE}/{MARKER}",
        "files/notes/secret.txt",
        f"files/{COURSE}/other-module/x.png",
        "yiyuan/author/",
        "lsp/status",
    ):
        assert not allowed_path(base + path, base, tmp_path), path


def test_the_waiting_page_when_too_many_servers_start(tmp_path):
    from test_hub_templates import render  # the hub's own way of rendering our templates

    from yiyuan.hub.waiting import waiting_texts

    for language, words in (("zh_CN", "正在排队进入学习环境"), ("en", "Waiting for your turn")):
        html = render(
            "error.html",
            language,
            status_code=429,
            exception=Obj(headers={"Retry-After": 23}),
            spawn_queue=waiting_texts(language),
        )
        assert words in html and 'data-retry="23"' in html
        assert "Too many users" not in html
        assert "window.location.reload()" in html
    assert "429" not in render("error.html", "zh_CN", status_code=403)


def test_the_waiting_page_shows_the_place_in_the_queue_and_the_front_asks_sooner():
    from test_hub_templates import base_namespace, render

    from yiyuan.hub.waiting import SpawnQueue, waiting_texts

    hub_user = vars(base_namespace("zh_CN")["user"])
    now = [100.0]
    queue = SpawnQueue(forget_after=45, clock=lambda: now[0])
    for name in ("wangfang", "liuyang", "zhaolei"):
        now[0] += 1
        queue.place(name)

    def page(name: str) -> str:
        return render(
            "error.html",
            "zh_CN",
            status_code=429,
            exception=Obj(headers={"Retry-After": 23}),
            spawn_queue={**waiting_texts("zh_CN"), "place": queue.place},
            user=Obj(**{**hub_user, "name": name}),
        )

    third = page("zhaolei")
    assert "排在您前面的还有 2 位学员。" in third and 'data-place="3"' in third
    assert 'data-retry="9"' in third  # 3 + 2 × place, below the hub's 23 s
    assert "下一个就轮到您。" in page("wangfang") and 'data-retry="5"' in page("wangfang")
    queue.leave("wangfang")  # her server started (the spawner's hook)
    assert "排在您前面的还有 1 位学员。" in page("zhaolei")
    now[0] += 30
    page("zhaolei")  # liuyang closed her page: silent for over 45 s, she leaves the queue
    now[0] += 20
    assert "下一个就轮到您。" in page("zhaolei")
    assert queue.place("newcomer") == 2  # a newcomer queues behind who waited


def test_a_starting_server_leaves_the_queue():
    from yiyuan.hub.waiting import SPAWN_QUEUE

    SPAWN_QUEUE.place("wangfang")
    spawner = Obj(user=Obj(name="wangfang", groups=[]), default_url="/lab", args=[])
    LessonServerHook()(spawner)
    assert "wangfang" not in SPAWN_QUEUE._first


def test_the_browser_may_send_only_widget_messages():
    assert "execute_request" not in LESSON_MESSAGES
    assert {"comm_open", "comm_msg", "comm_close"} <= set(LESSON_MESSAGES)


# ---------------------------------------------------------------- a real hub


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    hub = Hub(
        tmp_path_factory.mktemp("lockdown"),
        {
            "courses_dir": str(ROOT / "courses"),
            "culler": {
                "lesson_kernel_idle_timeout": KERNEL_IDLE,
                "lesson_kernel_every": KERNEL_EVERY,
            },
        },
    )
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.cli("courses", "publish", COURSE, "--actor", "admin")
    hub.start()
    yield hub
    hub.stop()


def started(hub: Hub, username: str):
    browser = hub.browser()
    assert browser.login(username, DEMO_PASSWORD).ok, hub.log()
    response = browser.get("/hub/spawn")
    assert response.status_code == 200, hub.log()
    browser.wait_for_server(username)
    return browser


@pytest.fixture(scope="module")
def learner(platform):
    browser = started(platform, LEARNER)
    headers = {"Authorization": f"token {browser.token()}"}
    enrol = browser.session.post(
        f"{platform.url}/services/yiyuan/api/courses/{COURSE}/enrol", headers=headers, timeout=60
    )
    assert enrol.status_code == 201, enrol.text
    return browser


def open_lesson(browser) -> tuple[str, str]:
    """The lesson through the player, as the portal's link does: (page, kernel id)."""
    page = browser.get(f"/user/{LEARNER}/yiyuan/open/{COURSE}/{MODULE}")
    assert page.status_code == 200, page.text[-2000:]
    assert f"/user/{LEARNER}/voila/render/{COURSE}/{MODULE}/" in page.url
    assert "汉字书体的演变" in page.text  # the lesson's first heading, rendered by Voila
    return page.text, re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.text).group(1)


def kernel_running(hub: Hub, kernel_id: str) -> bool:
    return any(f"kernel-{kernel_id}" in command for command in hub.processes().values())


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.5)


def test_a_learner_plays_lessons_but_reaches_nothing_else(platform, learner):
    # the server still opens on「我的学习」
    assert learner.get(f"/user/{LEARNER}/").url == f"{platform.url}/services/yiyuan/"
    _, kernel_id = open_lesson(learner)
    assert kernel_running(platform, kernel_id)
    prefix = f"/user/{LEARNER}/"
    for page in (
        "lab",
        "lab/tree/x.ipynb",
        "tree",
        "terminals/1",
        "voila/tree",
        f"nbconvert/html/{COURSE}/{MODULE}/{MODULE}.ipynb",
        "files/.bashrc",
    ):
        response = learner.get(prefix + page)
        assert response.status_code == 403, (page, response.status_code, response.url)
        assert response.url == platform.url + prefix + page  # no redirect into JupyterLab
        assert DENIED_TITLE in response.text and 'href="/services/yiyuan/"' in response.text
        assert "JupyterLab" not in response.text and "jupyter-config-data" not in response.text
    for api in (
        "api/contents",
        f"api/contents/{COURSE}/{MODULE}",
        "api/terminals",
        "api/kernels",
        f"api/kernels/{uuid.uuid4()}",  # the Authorizer: not a kernel of this server
        f"api/kernels/{kernel_id}/restart",
        "api/sessions",
        "api/kernelspecs",
    ):
        response = learner.server_api(LEARNER, api)
        assert response.status_code == 403, (api, response.status_code)
        assert response.json() == {"message": DENIED_API}
    # writing is refused as well as reading
    put = learner.session.put(
        f"{platform.url}{prefix}api/contents/{COURSE}/{MODULE}/x.ipynb",
        json={"type": "notebook"},
        headers={"X-XSRFToken": learner.xsrf(prefix)},
        timeout=60,
    )
    assert put.status_code == 403 and put.json() == {"message": DENIED_API}
    start = learner.session.post(
        f"{platform.url}{prefix}api/kernels",
        json={"name": "python3"},
        headers={"X-XSRFToken": learner.xsrf(prefix)},
        timeout=60,
    )
    assert start.status_code == 403
    # the page reads its own kernel's model when it connects; it may not end it
    assert learner.server_api(LEARNER, f"api/kernels/{kernel_id}").json()["id"] == kernel_id
    delete = learner.session.delete(
        f"{platform.url}{prefix}api/kernels/{kernel_id}",
        headers={"X-XSRFToken": learner.xsrf(prefix)},
        timeout=60,
    )
    assert delete.status_code == 403 and delete.json() == {"message": DENIED_API}
    assert kernel_running(platform, kernel_id)
    # a file of the module folder (a lesson's picture, say) is served
    assert learner.get(f"{prefix}files/{COURSE}/{MODULE}/{MODULE}.ipynb").status_code == 200
    # past the gate, the Authorizer: the websocket of a kernel this server does not run
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as refused:
        kernel_socket(platform, learner, LEARNER, str(uuid.uuid4())).close()
    assert refused.value.response.status_code == 403


def test_a_lesson_kernel_runs_no_code_from_the_page_and_goes_when_the_page_closes(
    platform, learner
):
    _, first = open_lesson(learner)
    # opening the lesson again (or another one) ends the kernel of the page before
    _, kernel_id = open_lesson(learner)
    assert kernel_id != first
    wait_for(lambda: not kernel_running(platform, first), 60, "the earlier lesson's kernel ends")
    assert kernel_running(platform, kernel_id)

    proof = Path(platform.workdir) / "code-ran"
    socket = kernel_socket(platform, learner, LEARNER, kernel_id)
    code = f"open({str(proof)!r}, 'w').write('x')"
    socket.send(shell_message("execute_request", {"code": code, "silent": False})[1])
    info_id, info = shell_message("kernel_info_request", {})
    socket.send(info)
    # the kernel answers shell messages in order: had the code reached it, it ran first
    assert reply_to(socket, info_id)["content"]["status"] == "ok"
    assert not proof.exists()
    # connected, the kernel outlives several cull checks while the learner reads
    time.sleep(KERNEL_IDLE + 2 * KERNEL_EVERY)
    assert kernel_running(platform, kernel_id)
    socket.close()
    # page closed: gone within the idle timeout plus a check, with room for a busy machine
    wait_for(
        lambda: not kernel_running(platform, kernel_id),
        KERNEL_IDLE + KERNEL_EVERY + 30,
        "the closed page's kernel is culled",
    )


def test_a_trainer_keeps_jupyterlab(platform):
    trainer = started(platform, TRAINER)
    lab = trainer.get(f"/user/{TRAINER}/lab")
    assert lab.status_code == 200 and "jupyter-config-data" in lab.text
    assert trainer.server_api(TRAINER, "api/contents").status_code == 200
    assert trainer.server_api(TRAINER, "api/terminals").status_code == 200
