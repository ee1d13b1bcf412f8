"""The yiyuan service as several processes on one port (``service.processes``): a sign-in begun
by one process is finished by whichever the hub's redirect reaches (the OAuth state is in the
platform database), a process that dies is started again, and a stop leaves none behind."""

from __future__ import annotations

import os
import signal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from hubtest import Hub, _parent, wait_for
from yiyuan.db import Database
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.models import OAuthState
from yiyuan.settings import load_settings

SERVICE = "/services/yiyuan/"
LEARNERS = ["wangfang", "liuyang", "zhaolei", "sunli"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("processes"), {"service": {"processes": 2}})
    hub.cli("db", "upgrade")
    hub.cli("demo", "seed")
    hub.start()
    yield hub
    hub.stop()


def service_tree(hub: Hub) -> tuple[int, list[int]]:
    """The watching process and its children."""
    service = {p for p, c in hub.processes().items() if "yiyuan service run" in c}
    [parent] = [p for p in service if _parent(p) not in service]
    return parent, sorted(p for p in service if _parent(p) == parent)


def signs_in(hub: Hub, user: str) -> None:
    browser = hub.browser()
    portal = browser.login(user, DEMO_PASSWORD, params={"next": SERVICE})
    assert portal.status_code == 200 and urlsplit(portal.url).path == SERVICE, portal.url
    assert "我的学习" in portal.text


def test_two_processes_answer_and_share_each_sign_in(hub):
    _parent_pid, children = service_tree(hub)
    assert len(children) == 2, hub.processes()
    settings = load_settings({"YIYUAN_CONFIG": str(hub.config_file)})
    database = Database(settings.platform_db_url)

    # a sign-in half done: the service sent the browser to the hub with a state id, and that
    # state is in the database, where the other process finds it
    browser = hub.browser()
    signed = browser.login("wangfang", DEMO_PASSWORD, allow_redirects=False)
    assert signed.status_code == 302  # signed in to the hub, not yet to the service
    away = browser.get(SERVICE, allow_redirects=False)
    assert away.status_code == 302 and "/hub/api/oauth2/authorize" in away.headers["Location"]
    [state] = parse_qs(urlsplit(away.headers["Location"]).query)["state"]
    with database.session() as session:
        assert session.scalar(select(OAuthState).where(OAuthState.state_id == state))
    portal = browser.get(away.headers["Location"])  # on to the hub, and back
    assert portal.status_code == 200 and "我的学习" in portal.text
    assert urlsplit(portal.url).path == SERVICE
    with database.session() as session:  # used once, then gone
        assert session.get(OAuthState, state) is None

    # many sign-ins in a row: the kernel hands connections to both processes, every one works
    for index in range(8):
        signs_in(hub, LEARNERS[index % len(LEARNERS)])
    database.dispose()


def test_a_process_that_dies_is_started_again(hub):
    parent, children = service_tree(hub)
    os.kill(children[0], signal.SIGKILL)
    restarted = wait_for(
        lambda: (
            (tree := service_tree(hub))[0] == parent
            and len(tree[1]) == 2
            and children[0] not in tree[1]
            and tree[1]
        ),
        30,
        "a new service process in place of the killed one",
    )
    assert children[1] in restarted  # the other one kept answering meanwhile
    signs_in(hub, "wangfang")


def test_killing_the_watching_process_takes_its_children_and_the_hub_restarts_it(hub):
    parent, children = service_tree(hub)
    os.kill(parent, signal.SIGKILL)
    wait_for(lambda: not any(p in hub.processes() for p in children), 30, "the children to end")
    _new_parent, new_children = wait_for(
        lambda: (
            (tree := service_tree_or_none(hub)) and tree[0] != parent and len(tree[1]) == 2 and tree
        ),
        90,
        "the hub to start the service again",
    )
    assert not set(new_children) & set(children)
    wait_for(
        lambda: (
            hub.browser().login("liuyang", DEMO_PASSWORD, params={"next": SERVICE}).status_code
            == 200
        ),
        60,
        "a sign-in through the restarted service",
    )


def service_tree_or_none(hub: Hub):
    try:
        return service_tree(hub)
    except ValueError:
        return None
