"""Accounts on SQLite and PostgreSQL: login, password rules and changes (the throttling of
logins has its own file, test_login_throttle.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiyuan.accounts import admin, service
from yiyuan.accounts.login import Client
from yiyuan.accounts.login import attempt as login_attempt
from yiyuan.accounts.passwords import generate_initial_password, password_problems
from yiyuan.accounts.throttle import ThrottlePolicy
from yiyuan.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from yiyuan.errors import AccountError
from yiyuan.hubgroups import groups_of
from yiyuan.models import Role

POLICY = ThrottlePolicy()
CLIENT = Client(address="192.0.2.10")
GOOD = "Qiuyue-77"


@pytest.fixture
def learner(database):
    with database.session() as session:
        service.create_account(session, "wangfang", "王芳", [Role.learner], password=GOOD)
    return database


def attempt(database, password, now=None):
    with database.session() as session:
        return login_attempt(session, "wangfang", password, CLIENT, POLICY, now=now)


def test_login_with_the_right_password(learner):
    outcome = attempt(learner, GOOD)
    assert outcome.ok and outcome.must_change_password
    with learner.session() as session:
        assert service.get_account(session, "WangFang ").last_login_at is not None


def test_unknown_user_and_wrong_password_read_the_same(learner):
    assert attempt(learner, "nope").key == "login_failed"
    with learner.session() as session:
        assert login_attempt(session, "nobody", GOOD, CLIENT, POLICY).key == "login_failed"


def test_success_resets_the_failure_count(learner):
    for _ in range(4):
        attempt(learner, "wrong")
    assert attempt(learner, GOOD).ok
    for _ in range(4):
        assert attempt(learner, "wrong").key == "login_failed"


def test_inactive_account_is_refused_only_after_the_password_is_right(learner):
    with learner.session() as session:
        service.get_account(session, "wangfang").active = False
    assert attempt(learner, "wrong").key == "login_failed"
    assert attempt(learner, GOOD).key == "account_inactive"


def test_change_password(learner):
    with learner.session() as session:
        assert service.change_password(session, "wangfang", "bad", "Chunfeng-88", 8)[0].key == (
            "password_wrong_current"
        )
        assert [p.key for p in service.change_password(session, "wangfang", GOOD, GOOD, 8)] == [
            "password_reuse"
        ]
        assert {p.key for p in service.change_password(session, "wangfang", GOOD, "abc", 8)} == {
            "password_too_short",
            "password_too_simple",
        }
        assert service.change_password(session, "wangfang", GOOD, "Chunfeng-88", 8) == []
    outcome = attempt(learner, "Chunfeng-88")
    assert outcome.ok and not outcome.must_change_password


def test_administrator_sets_a_temporary_password_and_clears_the_lock(learner):
    for _ in range(5):
        attempt(learner, "wrong")
    assert attempt(learner, GOOD).key == "login_throttled"
    with learner.session() as session:
        with pytest.raises(AccountError, match="至少"):
            service.set_password(session, "wangfang", "short", min_length=8, must_change=True)
        admin.set_password(
            session, "wangfang", "Dongxue-99", "admin", min_length=8, must_change=True
        )
    outcome = attempt(learner, "Dongxue-99")
    assert outcome.ok and outcome.must_change_password


def test_usernames(database):
    with database.session() as session:
        for bad in ["张三", "1abc", "a", "zhang san", "x" * 33, "../etc"]:
            with pytest.raises(AccountError, match="不可用"):
                service.create_account(session, bad, "x", [Role.learner])
        account, initial = service.create_account(session, " ZhangSan ", "张三", [Role.learner])
        assert account.username == "zhangsan"
        assert initial and password_problems(initial, "zhangsan", 8) == []
        with pytest.raises(AccountError, match="已被使用"):
            service.create_account(session, "zhangsan", "张三", [Role.learner])


def test_hub_groups_follow_roles(database):
    with database.session() as session:
        account, _ = service.create_account(
            session, "lihua", "李华", [Role.trainer, Role.learner], password=GOOD
        )
        assert groups_of(session, account) == ["learners", "trainers"]


def test_demo_seed_is_idempotent(database):
    with database.session() as session:
        first = seed_demo(session, "深圳市")
    with database.session() as session:
        second = seed_demo(session, "深圳市")
    assert all(created for _, created in first)
    assert not any(created for _, created in second)
    with database.session() as session:
        for demo in DEMO_ACCOUNTS:
            assert login_attempt(session, demo.username, DEMO_PASSWORD, CLIENT, POLICY).ok
        manager = service.get_account(session, "chenjing")
        assert [g.association_id is not None for g in manager.roles] == [True]


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("Qiuyue-77", set()),
        ("qiuyue77", set()),
        ("12345678", {"password_too_simple", "password_common"}),
        ("abcdefgh", {"password_too_simple"}),
        ("a1", {"password_too_short"}),
        ("wangfang2026", {"password_same_as_username"}),
        ("Password1", {"password_common"}),
    ],
)
def test_password_rules(password, problems):
    assert {p.key for p in password_problems(password, "wangfang", 8)} == problems


@given(st.integers(min_value=8, max_value=40))
def test_generated_passwords_always_meet_the_rules(length):
    password = generate_initial_password(length)
    assert len(password) == length
    assert password_problems(password, "wangfang", 8) == []
    assert not set(password) & set("0O1lI")


def test_system_names_are_reserved(database):
    with database.session() as session:
        for name in ("root", "postgres", "www-data", "nobody"):
            with pytest.raises(AccountError, match="保留"):
                service.create_account(session, name, "x", [Role.learner])
