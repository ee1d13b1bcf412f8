"""Publishing from the web: the CLI's code path (``catalog.publish.publish``) in a worker
thread, with the outcome as JSON the trainer's page can show (the checker's problems inline);
and its preview (``catalog.publish.preview``: the same steps, nothing kept), which the page
shows before it asks 确认发布？.

nbgrader's generate step blocks for seconds per module; running it on the service's event
loop would stall every learner's request meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..catalog.publish import PublishError, PublishReport, preview, publish
from ..db import Database
from ..errors import YiyuanError
from ..i18n import get_catalogue
from ..settings import Settings
from ..storage import Storage


def _as_json(report: PublishReport) -> dict[str, Any]:
    return {
        "published": not report.dry_run,
        "preview": report.dry_run,
        "course": report.course,
        "title": report.title,
        "version": report.version,
        "enrolment": report.enrolment,
        "added": report.added,
        "released": [list(pair) for pair in report.released],
        "lessons": report.lessons,
        "unchanged": report.unchanged,
        "onsite": report.onsite,
        "withdrawn": report.withdrawn,
        "retuned": report.retuned,
        "course_changes": report.course_changes,
        "enrolled": report.enrolled,
        "results_changed": report.recomputed.get("results_changed", 0),
        # in words, for people: one sentence, then one line per change
        "summary": report.summary(),
        "items": report.items(),
        # what the command prints (codes and release numbers)
        "lines": report.lines(),
    }


def _refused(code: str, error: YiyuanError) -> dict[str, Any]:
    if isinstance(error, PublishError) and error.problems:
        return {
            "published": False,
            "course": code,
            "error": get_catalogue().format("svc_publish_refused", code=code),
            "problems": [
                {"file": p.file, "where": p.where, "message": p.message} for p in error.problems
            ],
        }
    return {"published": False, "course": code, "error": str(error), "problems": []}


def publish_outcome(
    settings: Settings, database: Database, storage: Storage, code: str, actor: str
) -> dict[str, Any]:
    """Publish one course in its own transaction; never raises for a course that cannot be
    published (``published`` is False and ``problems`` says why)."""
    try:
        with database.session() as session:
            return _as_json(publish(settings, session, storage, code, actor))
    except YiyuanError as error:
        return _refused(code, error)


def preview_outcome(
    settings: Settings, database: Database, storage: Storage, code: str
) -> dict[str, Any]:
    """What publishing the course would change, in a transaction of its own that is rolled
    back; a course that cannot be published answers as :func:`publish_outcome` does."""
    try:
        with database.session() as session:
            return _as_json(preview(settings, session, storage, code))
    except YiyuanError as error:
        return _refused(code, error)


async def publish_in_thread(
    settings: Settings, database: Database, storage: Storage, code: str, actor: str
) -> dict[str, Any]:
    return await asyncio.to_thread(publish_outcome, settings, database, storage, code, actor)


async def preview_in_thread(
    settings: Settings, database: Database, storage: Storage, code: str
) -> dict[str, Any]:
    return await asyncio.to_thread(preview_outcome, settings, database, storage, code)
