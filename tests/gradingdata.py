"""Builders for the grading tests and the autograde benchmark: a published module in a course
directory, learners, and stored submissions (rows made directly, archives packed for real)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from yiyuan.accounts.service import create_account
from yiyuan.courses.manifest import Course as Manifest
from yiyuan.courses.manifest import read_manifest, to_course
from yiyuan.exchange import archives
from yiyuan.grading.coursedir import prepare_module
from yiyuan.models import Course, Module, ModuleKind, Role, Submission
from yiyuan.platform import open_storage
from yiyuan.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COURSES = ROOT / "courses"

#: the demo module the tests grade, and its right answers
DEMO_COURSE, DEMO_MODULE = "shufa-jianshang", "shuti-yanbian"
RIGHT = {"q1": "小篆", "q2": False, "q3": ["章草", "今草", "狂草"], "q4": "隶变", "q5": "柳公权"}
REFLECTION = "我最喜欢行书。" * 20


def settings_for(tmp_path: Path, courses_dir: Path = COURSES, **grading) -> Settings:
    import dataclasses

    from yiyuan.settings import GradingSettings

    return Settings(
        data_dir=tmp_path / "data",
        courses_dir=courses_dir,
        grading=dataclasses.replace(GradingSettings(), **grading),
    )


def demo_manifest() -> Manifest:
    data, problems = read_manifest(COURSES / f"{DEMO_COURSE}.yml")
    assert not problems
    return to_course(data)


def publish(session, settings: Settings, manifest: Manifest, module_code: str, reflections):
    """Course and module rows as a publish makes them, and nbgrader's generate step."""
    course = session.scalar(select(Course).where(Course.code == manifest.id))
    if course is None:
        course = Course(code=manifest.id, title=manifest.title, manifest={})
        session.add(course)
        session.flush()
    spec = next(m for m in manifest.modules if m.id == module_code)
    module = Module(
        course_id=course.id,
        code=spec.id,
        title=spec.title,
        kind=ModuleKind.online,
        hours=spec.hours,
        pass_rule=dict(spec.pass_rule),
        reflections=list(reflections),
        lessons=list(spec.lessons),
        release=1,
    )
    session.add(module)
    session.flush()
    prepare_module(settings, manifest, module_code)
    return module


def learner(session, username: str, display_name: str = "学员"):
    account, _ = create_account(session, username, display_name, [Role.learner], password=None)
    return account


def submit(
    session,
    settings: Settings,
    module: Module,
    account,
    answers: dict,
    extra_files: dict[str, str] | None = None,
    notebook_edit=None,
) -> Submission:
    """Pack the released module with an answers sidecar (as the lesson widgets write it) and
    store it as the service does."""
    release = settings.coursedirs_dir / module.course.code / "release" / module.code
    work = settings.data_dir / "work" / f"{account.username}-{module.code}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(release, work)
    (work / "answers.json").write_text(
        json.dumps({"version": 1, "answers": answers}, ensure_ascii=False), encoding="utf-8"
    )
    for name, text in (extra_files or {}).items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    if notebook_edit is not None:
        notebook_edit(work)
    data = archives.pack(work)
    submission = Submission(
        module_id=module.id,
        account_id=account.id,
        submitted_at=datetime.now(UTC),
        release=module.release,
        size=len(data),
    )
    session.add(submission)
    session.flush()
    storage = open_storage(settings)
    key = storage.submission(module.course.code, module.code, account.username, submission.id)
    submission.checksum = storage.put(key, data)
    submission.path = key
    session.flush()
    return submission
