"""Login throttling: the policy as pure functions, then attempts against SQLite and
PostgreSQL — unknown names and real accounts answer alike, a stranger's guesses are slowed
without keeping the owner's known browser out, addresses are counted too, administrators
clear it all, and each block and unblock is in the audit log. (Through a real hub:
test_hub_login.py.)"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from yiyuan.accounts import admin, lockouts, service
from yiyuan.accounts.login import Client, attempt
from yiyuan.accounts.throttle import (
    Counter,
    ThrottlePolicy,
    after_failure,
    block_length,
    current_failures,
    is_blocked,
)
from yiyuan.db import Database, migrate
from yiyuan.models import AuditEntry, LoginThrottle, Role, ThrottleKind, utcnow

POLICY = ThrottlePolicy(max_failures=5, address_max_failures=50, lockout_minutes=10)
GOOD = "Qiuyue-77"
T0 = utcnow()

# --- the policy, no database -----------------------------------------------------------------


def test_no_block_below_the_threshold_then_doubling_up_to_the_cap():
    lengths = [block_length(n, 5, POLICY).total_seconds() / 60 for n in range(1, 11)]
    assert lengths == [0, 0, 0, 0, 10, 20, 40, 60, 60, 60]
    # a cap below the first block never shortens it
    assert block_length(5, 5, ThrottlePolicy(lockout_minutes=30, max_lockout_minutes=5)) == (
        timedelta(minutes=30)
    )
    # absurd counts stay finite
    assert block_length(10**6, 5, POLICY) == timedelta(minutes=60)


def test_addresses_have_their_own_threshold():
    assert POLICY.threshold(ThrottleKind.address) == 50
    assert {POLICY.threshold(k) for k in ThrottleKind if k is not ThrottleKind.address} == {5}


def test_after_failure_counts_blocks_and_forgets_after_the_window():
    counter = Counter()
    for _ in range(4):
        counter = after_failure(counter, ThrottleKind.account, POLICY, T0)
    assert counter.failures == 4 and not is_blocked(counter, T0)
    counter = after_failure(counter, ThrottleKind.account, POLICY, T0)
    assert counter.blocked_until == T0 + timedelta(minutes=10) and is_blocked(counter, T0)
    assert not is_blocked(counter, T0 + timedelta(minutes=10))
    # a day without failures: the count starts again
    later = T0 + timedelta(minutes=POLICY.window_minutes)
    assert current_failures(counter, POLICY, later) == 0
    assert after_failure(counter, ThrottleKind.account, POLICY, later) == Counter(1, later, None)


# --- attempts on the database ------------------------------------------------------------


@pytest.fixture
def db(database):
    with database.session() as session:
        for name in ("wangfang", "lihua"):
            account, _ = service.create_account(session, name, name, [Role.learner], password=GOOD)
            account.must_change_password = False
    return database


def login(db: Database, name: str, password: str, client: Client, now=None, policy=POLICY):
    with db.session() as session:
        return attempt(session, name, password, client, policy, now=now)


STRANGER = Client(address="198.51.100.7")


def test_unknown_name_and_real_account_answer_alike(db):
    """The same sequence of answers for a name nobody has and a real account, from two
    addresses alike; blocked, even the right password gets that same answer."""
    unknown = [login(db, "nobody", "x", Client("192.0.2.1")).key for _ in range(7)]
    real = [login(db, "wangfang", "x", Client("192.0.2.2")).key for _ in range(7)]
    assert unknown == real == ["login_failed"] * 4 + ["login_throttled"] * 3
    right = login(db, "wangfang", GOOD, Client("192.0.2.3"))
    assert not right.ok and right.key == "login_throttled"
    assert right.refused_by == (ThrottleKind.account,)


def test_a_stranger_is_slowed_and_refused_unchecked(db):
    for _ in range(4):
        login(db, "wangfang", "guess", STRANGER, now=T0)
    fifth = login(db, "wangfang", "guess", STRANGER, now=T0)
    assert fifth.blocked == ((ThrottleKind.account, T0 + timedelta(minutes=10)),)
    # while blocked nothing is checked, not even the right password, and nothing is counted
    for _ in range(3):
        refused = login(db, "wangfang", GOOD, STRANGER, now=T0 + timedelta(minutes=5))
        assert refused.refused_by == (ThrottleKind.account,)
    # after the block: one more guess doubles it
    t1 = T0 + timedelta(minutes=11)
    sixth = login(db, "wangfang", "guess", STRANGER, now=t1)
    assert sixth.blocked == ((ThrottleKind.account, t1 + timedelta(minutes=20)),)
    with db.session() as session:
        account = service.get_account(session, "wangfang")
        state = lockouts.account_state(session, account.id, t1)
        assert (state.failures, state.refused, state.locked_until) == (
            6,
            3,
            t1 + timedelta(minutes=20),
        )


def test_the_owners_known_browser_still_gets_in(db):
    first = login(db, "wangfang", GOOD, Client("203.0.113.5"), now=T0)
    assert first.ok and first.device  # the device cookie the hub sets
    owner = Client("203.0.113.5", device=first.device)
    # a stranger hammers the account from the owner's own address (one office, one NAT)
    for _ in range(12):
        login(db, "wangfang", "guess", Client("203.0.113.5"), now=T0)
    assert login(db, "wangfang", GOOD, Client("203.0.113.5"), now=T0).key == "login_throttled"
    back = login(db, "wangfang", GOOD, owner, now=T0)
    assert back.ok and back.device == first.device
    # the owner's success does not lift the block for strangers
    assert login(db, "wangfang", GOOD, Client("203.0.113.9"), now=T0).key == "login_throttled"
    # a device cookie of another account, or a made-up one, counts as a stranger
    other = login(db, "lihua", GOOD, Client("203.0.113.6"), now=T0)
    assert not login(db, "wangfang", GOOD, Client("", device=other.device), now=T0).ok
    assert not login(db, "wangfang", GOOD, Client("", device="x" * 43), now=T0).ok


def test_a_known_browser_that_keeps_failing_is_blocked_on_its_own(db):
    device = login(db, "wangfang", GOOD, STRANGER, now=T0).device
    known = Client(STRANGER.address, device=device)
    for _ in range(5):
        login(db, "wangfang", "typo", known, now=T0)
    assert login(db, "wangfang", GOOD, known, now=T0).refused_by == (ThrottleKind.client,)
    # nobody else is affected: a new browser still gets in
    assert login(db, "wangfang", GOOD, Client("192.0.2.50"), now=T0).ok
    with db.session() as session:
        account = service.get_account(session, "wangfang")
        state = lockouts.account_state(session, account.id, T0)
        assert not state.locked and state.clients_blocked == 1
        admin.unlock(session, "wangfang", "admin")
    assert login(db, "wangfang", GOOD, known, now=T0).ok


def test_one_address_guessing_many_names_is_blocked(db):
    policy = ThrottlePolicy(address_max_failures=3)
    owner = login(db, "lihua", GOOD, Client("192.0.2.99"), policy=policy).device
    sprayer = Client("2001:db8:5:6::1")
    for name in ("wangfang", "lihua", "nobody"):
        login(db, name, "123456", sprayer, now=T0, policy=policy)
    # the whole /64 is one address: the next host in it is refused on any name
    refused = login(db, "zhaolei", "x", Client("2001:db8:5:6::2"), now=T0, policy=policy)
    assert refused.refused_by == (ThrottleKind.address,)
    # a known browser behind that address is not
    from_there = Client("2001:db8:5:6::3", device=owner)
    assert login(db, "lihua", GOOD, from_there, now=T0, policy=policy).ok
    with db.session() as session:
        assert admin.unlock_address(session, "2001:db8:5:6::77", "admin") == "2001:db8:5:6::/64"
    assert login(db, "lihua", GOOD, Client("2001:db8:5:6::2"), now=T0, policy=policy).ok


def test_blocks_and_unblocks_are_audited(db):
    for _ in range(5):
        login(db, "wangfang", "guess", STRANGER)
    policy = ThrottlePolicy(address_max_failures=2)
    for name in ("a1", "a2"):
        login(db, name, "x", Client("192.0.2.200"), policy=policy)
    for _ in range(5):
        login(db, "nobody", "x", Client(f"192.0.2.{_ + 100}"))  # no account: nothing to log
    with db.session() as session:
        admin.unlock(session, "wangfang", "zhangsan")
        admin.unlock_address(session, "192.0.2.200", "zhangsan")
        rows = session.execute(
            select(
                AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail
            ).order_by(AuditEntry.id)
        ).all()
    assert [r[:3] for r in rows] == [
        ("system", "account.lock", "wangfang"),
        ("system", "address.lock", "192.0.2.200"),
        ("zhangsan", "account.unlock", "wangfang"),
        ("zhangsan", "address.unlock", "192.0.2.200"),
    ]
    assert rows[0].detail["failures"] == 5 and rows[0].detail["address"] == STRANGER.address
    assert rows[2].detail["was_locked"] is True


def test_old_counters_are_dropped_after_a_success(db):
    login(db, "nobody", "x", STRANGER, now=T0)
    later = T0 + timedelta(minutes=POLICY.window_minutes + 1)
    login(db, "nobody", "x", Client("192.0.2.8"), now=later)
    login(db, "lihua", GOOD, Client("192.0.2.1"), now=later)
    with db.session() as session:
        kept = session.execute(select(LoginThrottle.kind, LoginThrottle.key)).all()
    # the stale ones and the success's own empty ones are gone; the recent failure's stay
    assert sorted(kind for kind, _ in kept) == [ThrottleKind.address, ThrottleKind.name]
    assert (ThrottleKind.address, "192.0.2.8") in kept


def test_upgrade_keeps_a_lock_and_every_role(db_url):
    """0007 kept the lock on the account row; 0008 moves it and must not touch the rest."""
    from sqlalchemy import text

    database = Database(db_url)
    migrate.upgrade(database, "0007")
    until = (T0 + timedelta(minutes=10)).replace(tzinfo=None)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts (username, display_name, password_hash,"
                " must_change_password, failed_logins, locked_until, active, created_at)"
                " VALUES ('suoding', '锁定', '', false, 5, :until, true, :now)"
            ),
            {"until": until, "now": until},
        )
        connection.execute(
            text(
                "INSERT INTO account_roles (account_id, role)"
                " SELECT id, 'learner' FROM accounts WHERE username = 'suoding'"
            )
        )
    migrate.upgrade(database)
    with database.session() as session:
        account = service.get_account(session, "suoding")
        assert [g.role for g in account.roles] == [Role.learner]
        state = lockouts.account_state(session, account.id, T0)
        assert state.failures == 5 and state.locked_until == until.replace(tzinfo=T0.tzinfo)
    migrate.downgrade(database, "0007")
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT failed_logins FROM accounts")).scalar() == 5
    database.dispose()
