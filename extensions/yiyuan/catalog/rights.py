"""Who may publish a course from the web, and which unpublished sources a trainer may publish.

One rule everywhere: administrators may publish any course; a trainer only a course whose
sources' manifest lists them under ``trainers`` AND, once it is published, of which they are a
trainer (so a trainer cannot take over a colleague's course by adding themselves to the
sources). A manifest that cannot be read lists nobody: then only a trainer of the published
course may try (the publish fails and shows why, which is what they need to see).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..courses.manifest import read_manifest
from ..models import Account, Course, Role
from ..settings import Settings
from . import enrolment, sources


@dataclass(frozen=True)
class Sources:
    """A course's sources as far as the manifest can be read."""

    code: str
    #: the manifest's title (the code when it cannot be read)
    title: str
    #: usernames under ``trainers`` (None: the manifest cannot be read)
    trainers: tuple[str, ...] | None
    uploaded: bool


def read_sources(settings: Settings, code: str) -> Sources | None:
    """The course's sources, None when there are none."""
    path = sources.source_root(settings, code) / f"{code}.yml"
    if not path.is_file():
        return None
    data, problems = read_manifest(path)
    trainers = None
    title = code
    if data is not None and not problems:
        names = data.get("trainers")
        trainers = tuple(str(n) for n in names) if isinstance(names, list) else ()
        title = str(data.get("title") or code)
    return Sources(code, title, trainers, sources.is_uploaded(settings, code))


def published(session: Session, code: str) -> Course | None:
    return session.scalar(select(Course).where(Course.code == code))


def may_publish(session: Session, settings: Settings, account: Account, code: str) -> bool:
    if account.has_role(Role.administrator):
        return True
    if not account.has_role(Role.trainer):
        return False
    course = published(session, code)
    teaches = course is not None and enrolment.is_trainer(session, course.id, account.id)
    found = read_sources(settings, code)
    if found is None:
        return False
    if found.trainers is None:
        return teaches
    return account.username in found.trainers and (course is None or teaches)


def unpublished_sources(session: Session, settings: Settings, account: Account) -> list[Sources]:
    """Courses with sources but never published that the account may publish."""
    known = set(session.scalars(select(Course.code)))
    found = []
    for code in sources.all_codes(settings):
        if code in known:
            continue
        item = read_sources(settings, code)
        if item is not None and may_publish(session, settings, account, code):
            found.append(item)
    return found
