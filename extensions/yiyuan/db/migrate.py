"""Alembic, driven from Python: ``yiyuan db upgrade`` and the schema check at start-up."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import DatabaseError
from .database import Database

#: not alembic's default "alembic_version": JupyterHub keeps its own migrations in that table,
#: and the hub and the platform may share one PostgreSQL database
VERSION_TABLE = "yiyuan_alembic_version"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", "yiyuan.db:migrations")
    # env.py uses this engine rather than building its own from a URL string.
    config.attributes["engine"] = database.engine
    return config


def head_revision(database: Database) -> str:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(database: Database, revision: str = "head") -> None:
    database.check_reachable()
    command.upgrade(alembic_config(database), revision)


def downgrade(database: Database, revision: str) -> None:
    database.check_reachable()
    command.downgrade(alembic_config(database), revision)


def check_schema(database: Database) -> None:
    """Refuse to run on a database that is missing tables or newer than this code."""
    database.check_reachable()
    current, head = current_revision(database), head_revision(database)
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config(database))
    if current is None:
        problem = "数据库尚未初始化"
    elif script.get_revision(current) is None:
        raise DatabaseError(
            f"数据库的结构版本 {current} 比当前程序更新：请升级艺苑程序，而不是降级数据库。"
        )
    else:
        problem = f"数据库结构版本为 {current}，当前程序需要 {head}"
    raise DatabaseError(f"{problem}：请先运行 `yiyuan db upgrade`。")
