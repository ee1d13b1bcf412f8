"""Logins through a real hub: the answer never tells whether an account exists or is blocked,
a stranger's guesses are slowed without keeping the owner's browser out, and administrators
see and clear blocks from the command line, audited. (The policy and its edge cases:
test_login_throttle.py; the workspace's member page: test_admin_members.py.)"""

import pytest

from hubtest import Browser, Hub
from yiyuan.accounts import lockouts
from yiyuan.accounts.clients import COOKIE
from yiyuan.accounts.service import get_account
from yiyuan.db import Database
from yiyuan.models import AuditEntry, utcnow

PASSWORD = "Mima-2026"


@pytest.fixture(scope="module")
def login_hub(tmp_path_factory):
    hub = Hub(tmp_path_factory.mktemp("login"), {"auth": {"address_max_failures": 40}})
    hub.cli("db", "upgrade")
    for name in ("zhenshi", "zhuren", "suoding"):
        hub.cli("users", "create", name, "--name", name, "--password-stdin", stdin=PASSWORD + "\n")
    hub.start()
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def platform_db(login_hub):
    database = Database(f"sqlite:///{login_hub.data_dir / 'yiyuan.sqlite'}")
    yield database
    database.dispose()


def answer(response) -> tuple:
    """What a person can tell from a refused login."""
    text = response.text
    return (
        response.status_code,
        "用户名或密码错误" in text,
        "稍后再试" in text,
        "锁定" in text or "不存在" in text,
    )


def test_unknown_wrong_and_blocked_answer_alike(login_hub):
    unknown = [answer(login_hub.browser().login("meiyouren", "guess")) for _ in range(6)]
    real = [answer(login_hub.browser().login("zhenshi", "guess")) for _ in range(6)]
    assert unknown == real
    assert unknown[0] == (403, True, False, False) and unknown[-1] == (403, True, True, False)
    # the real account is now blocked for new browsers: the right password reads the same
    assert answer(login_hub.browser().login("zhenshi", PASSWORD)) == unknown[-1]


def test_the_owners_browser_gets_in_while_a_stranger_is_slowed(login_hub, platform_db):
    owner = login_hub.browser()
    assert owner.login("zhuren", PASSWORD, allow_redirects=False).status_code == 302
    assert owner.session.cookies.get(COOKIE, path="/hub/")  # a known client from now on
    owner.get("/hub/logout")

    stranger = login_hub.browser()
    for _ in range(8):
        assert stranger.login("zhuren", "guess").status_code == 403
    # strangers are refused unchecked, whatever they type
    assert login_hub.browser().login("zhuren", PASSWORD).status_code == 403
    with platform_db.session() as session:
        account = get_account(session, "zhuren")
        state = lockouts.account_state(session, account.id, utcnow())
        # five failures counted, then refused without a check (attempts 6–8 and the last)
        assert (state.failures, state.refused) == (5, 4) and state.locked

    # the owner's browser, from the same address as the stranger, is not kept out
    assert owner.login("zhuren", PASSWORD, allow_redirects=False).status_code == 302


def test_administrator_sees_and_clears_a_block_audited(login_hub, platform_db):
    for _ in range(5):
        login_hub.browser().login("suoding", "guess")
    listed = login_hub.cli("users", "throttles").stdout
    assert "suoding" in listed and "限制至" in listed
    assert "已锁定" in login_hub.cli("users", "list").stdout

    login_hub.stop()  # the block is in the database: a restart keeps it
    login_hub.start()
    assert login_hub.browser().login("suoding", PASSWORD).status_code == 403
    login_hub.cli("users", "unlock", "suoding", "--actor", "zhangsan")
    fresh: Browser = login_hub.browser()
    assert fresh.login("suoding", PASSWORD, allow_redirects=False).status_code == 302

    with platform_db.session() as session:
        entries = [
            (e.actor, e.action)
            for e in session.query(AuditEntry)
            .filter(AuditEntry.target == "suoding", AuditEntry.action != "account.create")
            .order_by(AuditEntry.id)
        ]
    assert entries == [("system", "account.lock"), ("zhangsan", "account.unlock")]
