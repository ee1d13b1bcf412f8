"""Alembic migrations on SQLite and PostgreSQL: up from empty, one step down, up again."""

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from yiyuan.db import Database, migrate
from yiyuan.errors import DatabaseError


@pytest.fixture
def empty(db_url):
    db = Database(db_url)
    yield db
    db.dispose()


def tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {migrate.VERSION_TABLE}


def test_upgrade_downgrade_upgrade(empty):
    assert migrate.current_revision(empty) is None
    migrate.upgrade(empty)
    head = migrate.head_revision(empty)
    assert migrate.current_revision(empty) == head
    assert {"accounts", "account_roles", "associations", "members", "memberships"} <= tables(empty)
    # the models and the migrations describe the same schema
    command.check(migrate.alembic_config(empty))

    previous = ScriptDirectory.from_config(migrate.alembic_config(empty)).get_revision(head)
    migrate.downgrade(empty, "-1")
    assert migrate.current_revision(empty) == previous.down_revision
    migrate.upgrade(empty)
    assert migrate.current_revision(empty) == head
    command.check(migrate.alembic_config(empty))


def test_every_revision_downgrades_to_empty_and_back(empty):
    migrate.upgrade(empty)
    migrate.downgrade(empty, "base")
    assert migrate.current_revision(empty) is None
    assert tables(empty) == set()
    migrate.upgrade(empty)
    assert migrate.current_revision(empty) == migrate.head_revision(empty)


def test_downgrade_drops_what_0002_added(empty):
    migrate.upgrade(empty, "0002")
    migrate.downgrade(empty, "0001")
    assert "associations" not in tables(empty)
    columns = {c["name"] for c in inspect(empty.engine).get_columns("account_roles")}
    assert "association_id" not in columns


def test_data_survives_a_downgrade_and_upgrade(database):
    from yiyuan.accounts import service
    from yiyuan.models import Role

    with database.session() as session:
        service.create_account(session, "wangfang", "王芳", [Role.learner], password="Qiuyue-77")
    migrate.downgrade(database, "-1")
    migrate.upgrade(database)
    with database.session() as session:
        account = service.get_account(session, "wangfang")
        assert [g.role for g in account.roles] == [Role.learner]


def test_schema_check_names_the_command(empty):
    with pytest.raises(DatabaseError, match=r"尚未初始化.*yiyuan db upgrade"):
        migrate.check_schema(empty)
    migrate.upgrade(empty, "0001")
    with pytest.raises(DatabaseError, match=r"0001.*yiyuan db upgrade"):
        migrate.check_schema(empty)
    migrate.upgrade(empty)
    migrate.check_schema(empty)


def test_unreachable_database_is_one_sentence():
    db = Database("postgresql+psycopg://yiyuan:secret@127.0.0.1:9/yiyuan")
    with pytest.raises(DatabaseError) as raised:
        migrate.upgrade(db)
    message = str(raised.value)
    assert message.startswith("无法连接数据库")
    assert "YIYUAN_DB_URL" in message
    assert "secret" not in message


def test_unparsable_url():
    with pytest.raises(DatabaseError, match="无法解析"):
        Database("not a url")
