"""``yiyuan courses publish``: from a course's sources to what learners see.

Check the course (nothing is published from a course with problems), record it and its modules
in the database, generate each online module's student version with nbgrader and store it as a
release when it changed, enrol the targeted learners of a required course, and recompute results
(a republish may change pass rules or hours). Publishing again with unchanged sources changes
nothing but the course's version; nothing learners did is ever deleted.

:func:`preview` runs the same steps and keeps nothing: what a trainer is asked to confirm is
what publishing does.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import nbformat
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..accounts.service import find_account
from ..clock import local_zone
from ..completion import engine
from ..completion.lateness import LatePolicy
from ..courses import manifest as manifests
from ..courses.check import check_courses
from ..courses.manifest import Problem
from ..courses.notebooks import read_lesson
from ..errors import YiyuanError
from ..exchange import archives
from ..exchange.names import ID_PATTERN
from ..members.rows import associations_matcher
from ..models import Course, CourseTrainer, Module, ModuleKind, Role, utcnow
from ..settings import Settings
from ..storage import LocalStorage, Storage
from . import compile as compiled_lessons
from . import enrolment, releases, sources
from .onsite_sessions import sync_sessions

MB = 1024 * 1024


class PublishError(YiyuanError):
    """A course that cannot be published; ``problems`` lists every reason."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass
class PublishReport:
    course: str
    title: str
    version: int
    #: ``required`` or ``elective``
    enrolment: str = "elective"
    #: (module code, release number) of modules with a new release
    released: list[tuple[str, int]] = field(default_factory=list)
    #: online modules whose release did not change
    unchanged: list[str] = field(default_factory=list)
    #: on-site modules (nothing to release)
    onsite: list[str] = field(default_factory=list)
    #: online modules whose lessons were compiled into pages by this publish
    compiled: list[str] = field(default_factory=list)
    #: online modules with live code: played by Voila in the learner's own server
    live: list[str] = field(default_factory=list)
    #: modules no longer in the manifest (kept with their history, no longer offered)
    withdrawn: list[str] = field(default_factory=list)
    #: learners enrolled by this publish (required courses)
    enrolled: int = 0
    recomputed: dict = field(default_factory=dict)
    #: a preview (:func:`preview`): what publishing would do, nothing of it kept
    dry_run: bool = False
    #: modules new in this publish, or listed again after being withdrawn
    added: list[str] = field(default_factory=list)
    #: module code → title (withdrawn modules too), for sentences a person reads
    titles: dict[str, str] = field(default_factory=dict)
    #: module code → titles of its lessons that are new or changed in its new release
    lessons: dict[str, list[str]] = field(default_factory=dict)
    #: module code → what changed in its settings (名称, 学时, 必修/选修, 通过规则)
    retuned: dict[str, list[str]] = field(default_factory=dict)
    #: what changed in the course's own facts (名称, 截止日期, 面向的学员 …)
    course_changes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the command prints, in Chinese."""
        out = [f"✓ {self.course} {self.title}（第 {self.version} 次发布）"]
        if self.released:
            out.append(
                "  新发布："
                + "、".join(f"{code}（第 {number} 版）" for code, number in self.released)
            )
        if self.unchanged:
            out.append("  未变化：" + "、".join(self.unchanged))
        if self.compiled:
            out.append("  课件已编译为网页：" + "、".join(self.compiled))
        if self.live:
            out.append("  含实时代码（在学员的学习环境中运行）：" + "、".join(self.live))
        if self.onsite:
            out.append("  现场教学：" + "、".join(self.onsite))
        if self.withdrawn:
            out.append("  已撤下：" + "、".join(self.withdrawn))
        if self.enrolment == "required":
            out.append(f"  必修课，新报名学员：{self.enrolled} 人")
        else:
            out.append("  选修课：面向的学员可自行报名")
        return out

    @property
    def updated_lessons(self) -> int:
        """Lessons new or changed in modules that were there before."""
        return sum(
            len(self.lessons.get(code, ())) for code, _ in self.released if code not in self.added
        )

    def summary(self) -> str:
        """One sentence a trainer reads: 「已发布《…》（第 3 次发布）：新增单元 1 个，更新课件
        2 个；新报名学员 12 人。」 (将发布 … in a preview)."""
        changes = []
        if self.added:
            changes.append(f"新增单元 {len(self.added)} 个")
        if self.updated_lessons:
            changes.append(f"更新课件 {self.updated_lessons} 个")
        if self.retuned:
            changes.append(f"修改单元设置 {len(self.retuned)} 个")
        if self.withdrawn:
            changes.append(f"撤下单元 {len(self.withdrawn)} 个")
        if self.course_changes:
            changes.append("修改课程信息（" + "、".join(self.course_changes) + "）")
        said = "，".join(changes) or "课件和设置都没有变化"
        if self.enrolment == "required":
            said += f"；新报名学员 {self.enrolled} 人"
        changed = self.recomputed.get("results_changed", 0)
        if changed:
            said += f"；{changed} 项学员的单元结果随之改变"
        verb = "将发布" if self.dry_run else "已发布"
        return f"{verb}《{self.title}》（第 {self.version} 次发布）：{said}。"

    def items(self) -> list[str]:
        """What changes, one line each, by the names people know (not codes)."""

        def named(code: str) -> str:
            return f"「{self.titles.get(code, code)}」"

        def lessons(code: str) -> str:
            return "、".join(f"《{title}》" for title in self.lessons.get(code, ()))

        out = []
        for code in self.added:
            if code in self.onsite:
                out.append(f"新增单元{named(code)}（现场教学）")
            else:
                out.append(f"新增单元{named(code)}（{len(self.lessons.get(code, ()))} 个课件）")
        for code, _ in self.released:
            if code not in self.added:
                out.append(f"更新单元{named(code)}的课件：{lessons(code) or '课件文件有改动'}")
        for code, what in self.retuned.items():
            out.append(f"修改单元{named(code)}的" + "、".join(what))
        for code in self.withdrawn:
            out.append(f"撤下单元{named(code)}（学员已有的记录都保留）")
        if self.course_changes:
            out.append("修改课程信息：" + "、".join(self.course_changes))
        if not out:
            out.append("与上次发布相比，课件和设置都没有变化")
        kept = [
            code
            for code in (*self.unchanged, *self.onsite)
            if code not in self.added and code not in self.retuned
        ]
        if kept:
            out.append("没有变化的单元：" + "、".join(named(c) for c in kept))
        if self.enrolment == "required":
            out.append(f"必修课：按面向的学员，新报名 {self.enrolled} 人")
        else:
            out.append("选修课：面向的学员可以自行报名")
        changed = self.recomputed.get("results_changed", 0)
        if changed:
            out.append(f"按新的设置重新计算成绩：{changed} 项学员的单元结果改变")
        return out


def publish(
    settings: Settings, session: Session, storage: Storage, course_code: str, actor: str
) -> PublishReport:
    """Publish one course from its sources (:mod:`.sources`: a trainer's upload, else
    ``settings.courses_dir``); PublishError when it cannot be. Records the publish in the audit
    log; works in the caller's transaction."""
    return _publish(settings, session, storage, course_code, actor, scratch=None)


def preview(
    settings: Settings, session: Session, storage: Storage, course_code: str
) -> PublishReport:
    """What :func:`publish` would do now, found by publish's own steps and kept nowhere:
    nbgrader generates into a temporary folder, new releases go to a temporary storage (the
    current ones are only read, to tell which lessons changed), lessons are not compiled (so a
    lesson that fails to run is found by the publish itself), nothing is audited, and the
    session is rolled back at the end: give it a session of its own. PublishError as publish."""
    with tempfile.TemporaryDirectory(prefix="yiyuan-preview-") as scratch:
        try:
            return _publish(settings, session, storage, course_code, "", scratch=Path(scratch))
        finally:
            session.rollback()


def _publish(
    settings: Settings,
    session: Session,
    storage: Storage,
    course_code: str,
    actor: str,
    scratch: Path | None,
) -> PublishReport:
    """publish's steps; with a ``scratch`` folder, a preview's (files written there)."""
    # imported here: nbgrader is heavy and only publishing needs it
    from ..grading.coursedir import prepare_module

    if not ID_PATTERN.match(course_code):
        raise PublishError(f"课程代码“{course_code}”无效：请用 yiyuan courses list 查看课程代码。")
    settings = sources.settings_for(settings, course_code)
    # where generating and storing write: the platform's folders, or the preview's own
    generating = settings if scratch is None else dataclasses.replace(settings, data_dir=scratch)
    releasing = storage if scratch is None else LocalStorage(scratch / "exchange")
    matcher = associations_matcher(session, settings.city)
    (checked,) = check_courses(settings.courses_dir, matcher, [course_code])
    if checked.problems:
        raise PublishError(
            f"课程 {course_code} 有 {len(checked.problems)} 个问题，没有发布："
            + "；".join(str(p) for p in checked.problems),
            checked.problems,
        )
    source = checked.course
    data, _ = manifests.read_manifest(checked.path)
    trainers = _trainers(session, source)
    now = utcnow()

    course = session.scalar(select(Course).where(Course.code == source.id))
    if course is None:
        course = Course(code=source.id, version=0)
        session.add(course)
    before = _course_facts(course)
    course.title = source.title
    course.summary = source.summary
    course.category = source.category
    course.enrolment = source.enrolment
    course.opens = _local(source.opens, time.min)
    course.due = _local(source.due, time(23, 59, 59))
    course.late_policy = LatePolicy.of(source.late).as_dict()
    course.manifest = data
    course.version = (course.version or 0) + 1
    course.published_at = now
    course.published_by = actor
    course.active = True
    session.flush()
    _set_trainers(session, course, trainers)

    report = PublishReport(
        course.code, course.title, course.version, course.enrolment, dry_run=scratch is not None
    )
    if course.version > 1:
        report.course_changes = _changed_facts(before, _course_facts(course))
    existing = {
        m.code: m for m in session.scalars(select(Module).where(Module.course_id == course.id))
    }
    folder = checked.path.parent / "notebooks" / source.id
    modules = []
    for position, item in enumerate(source.modules):
        module = existing.pop(item.id, None)
        if module is None:
            module = Module(course_id=course.id, code=item.id)
            session.add(module)
            report.added.append(item.id)
        elif not module.active:
            report.added.append(item.id)
        settings_before = _module_settings(module)
        report.titles[item.id] = item.title
        module.title = item.title
        module.kind = ModuleKind(item.kind)
        module.position = position
        module.hours = item.hours
        module.required = item.required
        module.pass_rule = dict(item.pass_rule)
        module.lessons = list(item.lessons)
        module.session = dict(item.session)
        module.due = _local(item.due, time(23, 59, 59))
        module.reflections = _reflections(folder / item.id, item.lessons)
        module.active = True
        if item.id not in report.added:
            changed = _changed_facts(settings_before, _module_settings(module))
            if changed:
                report.retuned[item.id] = changed
        sync_sessions(session, module, item)
        modules.append(module)
    for module in existing.values():
        if module.active:
            report.withdrawn.append(module.code)
            report.titles[module.code] = module.title
        module.active = False
        releases.withdraw_release(session, module)
    session.flush()

    for module in modules:
        if module.kind != ModuleKind.online:
            report.onsite.append(module.code)
            continue
        release_folder = prepare_module(generating, source, module.code)
        packed = archives.pack(release_folder)
        earlier = _lessons_of(storage, module)  # read before a new release takes its place
        if releases.store_release(
            session, releasing, module, packed, settings.service.max_release_mb * MB
        ):
            report.released.append((module.code, module.release))
            report.lessons[module.code] = [
                title
                for name, (title, data) in _lessons_in(packed).items()
                if earlier.get(name, (None, None))[1] != data
            ]
        else:
            report.unchanged.append(module.code)
        if scratch is not None:
            continue  # a preview compiles nothing
        try:
            how = compiled_lessons.compile_module(settings, storage, module)
        except compiled_lessons.CompileError as error:
            raise PublishError(f"课程 {course.code} 没有发布：{error}") from None
        if how == "compiled":
            report.compiled.append(module.code)
        elif how == "live" or compiled_lessons.is_live_module(storage, module):
            report.live.append(module.code)

    session.refresh(course)
    if course.enrolment == "required":
        report.enrolled = enrolment.enrol_targets(session, course)
    report.recomputed = engine.recompute(session, course.code)
    if scratch is not None:
        return report
    audit.record(
        session,
        actor,
        "course.publish",
        f"发布课程“{course.title}”（第 {course.version} 次）",
        course_id=course.id,
        target=course.code,
        detail={
            "version": course.version,
            "released": [list(pair) for pair in report.released],
            "withdrawn": report.withdrawn,
            "enrolled": report.enrolled,
            "uploaded_sources": sources.is_uploaded(settings, course.code),
        },
    )
    return report


def publish_all(
    settings: Settings, session: Session, storage: Storage, actor: str
) -> list[tuple[str, PublishReport | YiyuanError]]:
    """Publish every course with sources; one broken course stops no other."""
    outcomes: list[tuple[str, PublishReport | YiyuanError]] = []
    for code in sources.all_codes(settings):
        try:
            with session.begin_nested():
                outcomes.append((code, publish(settings, session, storage, code, actor)))
        except YiyuanError as error:
            outcomes.append((code, error))
    return outcomes


def _trainers(session: Session, source: manifests.Course) -> list:
    accounts, wrong = [], []
    for username in source.trainers:
        account = find_account(session, username)
        if account is None or not account.active or not account.has_role(Role.trainer):
            wrong.append(username)
        else:
            accounts.append(account)
    if wrong:
        names = "、".join(wrong)
        raise PublishError(
            f"课程 {source.id} 的教师 {names} 不是平台上在用的教师账号，没有发布："
            f"请先创建（yiyuan users create 用户名 --name 姓名 --role trainer）或修改课程清单的“教师”。"
        )
    return accounts


def _set_trainers(session: Session, course: Course, accounts: list) -> None:
    wanted = {account.id for account in accounts}
    for trainer in list(course.trainers):
        if trainer.account_id not in wanted:
            course.trainers.remove(trainer)
    have = {trainer.account_id for trainer in course.trainers}
    for account_id in sorted(wanted - have):
        course.trainers.append(CourseTrainer(account_id=account_id))
    session.flush()


def _reflections(folder: Path, lessons) -> list[str]:
    """Question ids of the module's ``lesson.reflection(...)`` calls, in lesson order."""
    found: list[str] = []
    for lesson in lessons:
        facts, _ = read_lesson(folder / lesson, lesson)
        if facts is not None:
            found += [r for r in facts.reflections if r not in found]
    return found


def _local(day: date | None, at: time) -> datetime | None:
    return datetime.combine(day, at, tzinfo=local_zone()) if day else None


def _course_facts(course: Course) -> dict[str, object]:
    """The course's facts a publish may change, by the words a trainer knows them by."""
    return {
        "名称": course.title,
        "简介": course.summary,
        "分类": course.category,
        "必修/选修": course.enrolment,
        "开放日期": course.opens,
        "截止日期": course.due,
        "迟交": LatePolicy.of(course.late_policy).describe(),
        "面向的学员": (course.manifest or {}).get("audience"),
        "任课教师": sorted(t.account_id for t in course.trainers),
    }


def _module_settings(module: Module) -> dict[str, object]:
    return {
        "名称": module.title,
        "学时": module.hours,
        "必修/选修": module.required,
        "通过规则": module.pass_rule,
        "截止日期": module.due,
        "现场教学安排": module.session,
    }


def _changed_facts(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return [name for name, value in after.items() if before.get(name) != value]


def _lessons_in(data: bytes) -> dict[str, tuple[str, bytes]]:
    """A release's lessons: notebook name → (its title, its bytes)."""
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".ipynb"):
                stream = archive.extractfile(member)
                content = stream.read() if stream is not None else b""
                name = Path(member.name).name
                try:
                    notebook = nbformat.reads(content.decode("utf-8"), as_version=4)
                    title = compiled_lessons.lesson_title(notebook, name)
                except (ValueError, UnicodeDecodeError):
                    title = name
                found[name] = (title, content)
    return found


def _lessons_of(storage: Storage, module: Module) -> dict[str, tuple[str, bytes]]:
    """The lessons of the module's current release (none before its first)."""
    if module.release <= 0:
        return {}
    key = storage.release(module.course.code, module.code, module.release)
    return _lessons_in(storage.get(key)) if storage.exists(key) else {}
