"""Alembic environment: runs migrations on the engine handed over by yiyuan.db.migrate."""

from alembic import context

from yiyuan.db.migrate import VERSION_TABLE
from yiyuan.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table=VERSION_TABLE,
    )
    context.run_migrations()
