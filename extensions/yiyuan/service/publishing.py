"""Publishing from the web: the CLI's code path (``catalog.publish.publish``) in a worker
thread, with the outcome as JSON the trainer's page can show (the checker's problems inline).

nbgrader's generate step blocks for seconds per module; running it on the service's event
loop would stall every learner's request meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..catalog.publish import PublishError, publish
from ..db import Database
from ..errors import YiyuanError
from ..settings import Settings
from .storage import Storage


def publish_outcome(
    settings: Settings, database: Database, storage: Storage, code: str, actor: str
) -> dict[str, Any]:
    """Publish one course in its own transaction; never raises for a course that cannot be
    published (``published`` is False and ``problems`` says why)."""
    try:
        with database.session() as session:
            report = publish(settings, session, storage, code, actor)
            outcome = {
                "published": True,
                "course": report.course,
                "title": report.title,
                "version": report.version,
                "released": [list(pair) for pair in report.released],
                "unchanged": report.unchanged,
                "onsite": report.onsite,
                "withdrawn": report.withdrawn,
                "enrolled": report.enrolled,
                "lines": report.lines(),
            }
    except PublishError as error:
        return {
            "published": False,
            "course": code,
            "error": str(error) if not error.problems else f"课程 {code} 有问题，没有发布。",
            "problems": [
                {"file": p.file, "where": p.where, "message": p.message} for p in error.problems
            ],
        }
    except YiyuanError as error:
        return {"published": False, "course": code, "error": str(error), "problems": []}
    return outcome


async def publish_in_thread(
    settings: Settings, database: Database, storage: Storage, code: str, actor: str
) -> dict[str, Any]:
    return await asyncio.to_thread(publish_outcome, settings, database, storage, code, actor)
