"""Answers typed on a learner's own Jupyter server, carried over to compiled lessons.

Before lessons were compiled, a learner's answers lived in ``answers.json`` beside the lesson
in their home (``<home>/<course>/<module>/``, the sidecar). Once the module is compiled the
service keeps them (``LessonAnswers``); this copies what is in the homes into it, so that
nothing a learner typed is lost. Answers the service already has win over older files; answers
that no longer fit the lesson (a question removed, an option renamed) are left out.
"""

from __future__ import annotations

import pwd
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..exchange.modulefolder import BadName, module_of
from ..lesson import compiled
from ..lesson.sidecar import FILENAME, read_answers
from ..models import Account, Course, LessonAnswers, Module, ModuleKind
from ..settings import Settings
from ..storage import Storage
from .compile import questions_of, spec_of


@dataclass
class CarryOver:
    #: (username, course/module) whose answers were copied
    copied: list[tuple[str, str]] = field(default_factory=list)
    #: files that could not be read (unreadable, bad JSON): left where they are
    unreadable: list[str] = field(default_factory=list)


def home_of(settings: Settings, username: str) -> Path | None:
    """Where a learner's server kept their files: the platform's homes (demo mode) or the
    system user's home (production)."""
    demo = settings.homes_dir / username
    if demo.is_dir():
        return demo
    try:
        return Path(pwd.getpwnam(username).pw_dir)
    except KeyError:
        return None


def carry_over(session: Session, settings: Settings, storage: Storage) -> CarryOver:
    report = CarryOver()
    modules = {
        (m.course.code, m.code): m
        for m in session.scalars(
            select(Module).join(Course).where(Module.kind == ModuleKind.online, Module.release > 0)
        )
    }
    specs: dict[int, dict | None] = {}
    for account in session.scalars(select(Account).where(Account.active.is_(True))):
        home = home_of(settings, account.username)
        if home is None:
            continue
        try:
            sidecars = list(home.glob(f"*/*/{FILENAME}"))
        except OSError:
            continue
        for path in sidecars:
            try:
                ref = module_of(path.parent)
            except (BadName, OSError):
                continue
            module = modules.get((ref.course_id, ref.assignment_id))
            if module is None:
                continue
            if module.id not in specs:
                specs[module.id] = spec_of(storage, module)
            spec = specs[module.id]
            if spec is None or spec.get("live"):
                continue
            try:
                answers = read_answers(path)
                written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            except (OSError, ValueError):
                report.unreadable.append(str(path))
                continue
            if _merge(session, account.id, module, spec, answers, written):
                report.copied.append((account.username, f"{module.course.code}/{module.code}"))
    session.flush()
    return report


def _merge(session, account_id: int, module: Module, spec: dict, answers: dict, written) -> bool:
    questions = questions_of(spec)
    fitting = {}
    for question_id, value in answers.items():
        try:
            fitting.update(compiled.check_answers(questions, {question_id: value}))
        except compiled.BadAnswer:
            continue
    fitting = {k: v for k, v in fitting.items() if v is not None}
    if not fitting:
        return False
    saved = session.scalars(
        select(LessonAnswers).where(
            LessonAnswers.account_id == account_id, LessonAnswers.module_id == module.id
        )
    ).one_or_none()
    if saved is None:
        session.add(
            LessonAnswers(
                account_id=account_id,
                module_id=module.id,
                answers=fitting,
                revision=1,
                updated_at=written,
            )
        )
        return True
    merged = (
        {**fitting, **saved.answers}
        if saved.updated_at >= written
        else {**saved.answers, **fitting}
    )
    if merged == saved.answers:
        return False
    saved.answers = merged
    saved.revision += 1
    return True
