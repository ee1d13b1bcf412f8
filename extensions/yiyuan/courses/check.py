"""``yiyuan courses check``: every problem of a course, each with file and field or cell.

Nothing is published from a course with problems (the publishing step calls
:func:`check_course` first).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..associations import ALL_ASSOCIATIONS
from ..clock import local_zone
from ..exchange.images import MAX_IMAGE_BYTES, is_local, local_image
from ..members.matching import AssociationMatcher
from .manifest import Course, Module, Problem, read_manifest, schema_problems, to_course
from .notebooks import LessonFacts, quiz_problems, read_lesson


@dataclass
class CheckedCourse:
    path: Path
    course: Course | None
    problems: list[Problem]


def manifest_paths(courses_dir: Path) -> list[Path]:
    return sorted(p for p in courses_dir.glob("*.yml") if p.is_file())


def check_course(path: Path, matcher: AssociationMatcher) -> CheckedCourse:
    """Check one manifest and the lesson notebooks it names."""
    name = path.name
    data, problems = read_manifest(path)
    if data is None:
        return CheckedCourse(path, None, problems)
    problems = schema_problems(name, data)
    if problems:
        return CheckedCourse(path, None, problems)
    course = to_course(data)
    if course.id != path.stem:
        problems.append(
            Problem(name, "“课程代码”", f"课程代码 {course.id} 应与文件名 {path.stem} 相同。")
        )
    for association in course.associations:
        if association != ALL_ASSOCIATIONS and matcher.match(association) is None:
            problems.append(
                Problem(name, "“面向对象”“协会”", matcher.describe_unknown(association))
            )
    if course.opens and course.due and course.opens > course.due:
        problems.append(Problem(name, "“截止日期”", "截止日期早于开放日期。"))
    for module_id, count in Counter(m.id for m in course.modules).items():
        if count > 1:
            problems.append(Problem(name, "“单元”", f"单元代码 {module_id} 重复了 {count} 次。"))
    for raw, module in zip(data["modules"], course.modules, strict=True):
        problems += _session_problems(name, course, raw, module)
        problems += _due_problems(name, course, module)
    problems += _late_problems(name, course)
    notebooks = path.parent / "notebooks" / course.id
    for module in course.modules:
        if module.kind == "online":
            problems += _check_online_module(notebooks / module.id, module, name)
        elif (
            module.pass_rule.get("quiz") is not None
            or module.pass_rule.get("total") is not None
            or module.pass_rule.get("reflection")
        ):
            problems.append(
                Problem(
                    name, f"单元 {module.id}", "现场教学单元的通过规则只能是签到（attendance）。"
                )
            )
    return CheckedCourse(path, course if not problems else None, problems)


def _due_problems(name: str, course: Course, module: Module) -> list[Problem]:
    """A module's own due date lies within the course's dates, and only online work has one."""
    if module.due is None:
        return []
    where = f"单元 {module.id}“截止日期”"
    if module.kind != "online":
        return [Problem(name, where, "现场教学单元没有截止日期，按场次的时间签到。")]
    if course.due and module.due > course.due:
        return [Problem(name, where, f"单元的截止日期晚于课程的截止日期 {course.due}。")]
    if course.opens and module.due < course.opens:
        return [Problem(name, where, f"单元的截止日期早于课程的开放日期 {course.opens}。")]
    return []


def _late_problems(name: str, course: Course) -> list[Problem]:
    late = course.late
    if (
        late not in (None, "refuse")
        and course.due is None
        and not any(m.due for m in course.modules)
    ):
        return [Problem(name, "“迟交”", "课程和单元都没有截止日期，迟交的设置不起作用。")]
    if not isinstance(late, dict):
        return []
    policy = late.get("policy")
    if policy == "penalty" and not late.get("penalty"):
        return [
            Problem(
                name, "“迟交”", "迟交方式为扣分（penalty）时，请写出每天扣几个百分点（penalty）。"
            )
        ]
    if policy in ("refuse", "accept") and late.get("penalty"):
        return [
            Problem(
                name,
                "“迟交”",
                f"迟交方式为 {policy} 时不扣分：请删去 penalty，或把方式改为 penalty。",
            )
        ]
    if policy == "refuse" and late.get("days"):
        return [Problem(name, "“迟交”", "不接受迟交（refuse）时不需要迟交天数（days）。")]
    return []


def check_courses(courses_dir: Path, matcher: AssociationMatcher, ids: Iterable[str] = ()):
    """Check the named courses, or every manifest in ``courses_dir``."""
    wanted = list(ids)
    paths = [courses_dir / f"{i}.yml" for i in wanted] if wanted else manifest_paths(courses_dir)
    results = []
    for path in paths:
        if not path.is_file():
            missing = Problem(path.name, "", f"找不到课程 {path.stem}（{path}）。")
            results.append(CheckedCourse(path, None, [missing]))
        else:
            results.append(check_course(path, matcher))
    return results


def _session_problems(name: str, course: Course, raw: dict, module) -> list[Problem]:
    """On-site sessions (场次): only on on-site modules, unique ids, times within the course's
    dates, trainers among the course's trainers."""
    where = f"单元 {module.id}"
    if "sessions" in raw and module.kind != "onsite":
        return [Problem(name, where, "只有现场教学单元（kind: onsite）可以安排场次（sessions）。")]
    problems = []
    if "sessions" in raw and "session" in raw:
        problems.append(
            Problem(name, where, "请只写“sessions”（场次列表），不要同时写旧的“session”。")
        )
    for code, count in Counter(s.id for s in module.sessions).items():
        if count > 1:
            problems.append(Problem(name, where, f"场次代码 {code} 重复了 {count} 次。"))
    for sitting in module.sessions:
        label = f"{where} 场次 {sitting.id}"
        try:
            starts = sitting.starts_at
        except ValueError:
            starts = None
        if sitting.starts and (starts is None or starts.tzinfo is None):
            problems.append(
                Problem(
                    name,
                    label,
                    f"开始时间 {sitting.starts} 无效：请写日期、时间和时区，"
                    "如 2027-01-16T09:00:00+08:00。",
                )
            )
            continue
        day = starts.astimezone(local_zone()).date() if starts is not None else None
        if day is not None and _outside(day, course.opens, course.due):
            problems.append(
                Problem(
                    name,
                    label,
                    f"开始时间 {sitting.starts} 不在课程的开放日期和截止日期之间。",
                )
            )
        if sitting.trainer and sitting.trainer not in course.trainers:
            problems.append(
                Problem(
                    name,
                    label,
                    f"主讲教师 {sitting.trainer} 不是本课程的教师"
                    f"（{'、'.join(course.trainers)}）：请先把他加入“教师”。",
                )
            )
    return problems


def _outside(day: date, opens: date | None, due: date | None) -> bool:
    return (opens is not None and day < opens) or (due is not None and day > due)


def _image_problems(folder: Path, facts: LessonFacts, label: str) -> list[Problem]:
    """Images the lesson's Markdown names beside it that no player could show (each player
    puts only an image file of the module's folder in the page: yiyuan.exchange.images)."""
    return [
        Problem(
            label,
            f"第 {number} 个单元格",
            f"图片 {src} 无法显示：请把图片文件（PNG、JPEG、GIF、SVG，"
            f"不超过 {MAX_IMAGE_BYTES // 1000 // 1000} MB）放在课件旁边，并用相对路径引用。",
        )
        for number, src in facts.images
        if is_local(src) and local_image(folder, folder, src) is None
    ]


def _check_online_module(folder: Path, module, manifest_name: str) -> list[Problem]:
    problems: list[Problem] = []
    merged = LessonFacts()
    for lesson in module.lessons:
        path = folder / lesson
        label = f"notebooks/{folder.parent.name}/{folder.name}/{lesson}"
        if not path.is_file():
            problems.append(Problem(manifest_name, f"单元 {module.id}", f"找不到课件 {label}。"))
            continue
        facts, found = read_lesson(path, label)
        problems += found
        if facts is None:
            continue
        problems += quiz_problems(facts, label)
        problems += _image_problems(path.parent, facts, label)
        # the lessons of a module are one nbgrader assignment: ids must be unique across them
        for grade_id in set(facts.grade_ids) & set(merged.grade_ids):
            problems.append(Problem(label, "", f"grade_id “{grade_id}” 与本单元其他课件重复。"))
        # ... and so must question ids: the lessons of a module share one answers.json
        for question in (set(facts.questions) | set(facts.reflections)) & (
            set(merged.questions) | set(merged.reflections)
        ):
            problems.append(Problem(label, "", f"题号 {question} 与本单元其他课件重复。"))
        merged.grade_ids += facts.grade_ids
        merged.reflections += facts.reflections
        merged.questions.update(facts.questions)
        merged.autograded_points += facts.autograded_points
        merged.graded_points += facts.graded_points
    if problems:
        return problems
    rule = module.pass_rule
    # a quiz is the platform's questions or nbgrader's autograder tests (points to earn)
    if rule.get("quiz") is not None and not (merged.questions or merged.autograded_points > 0):
        problems.append(
            Problem(
                manifest_name,
                f"单元 {module.id}",
                "通过规则要求测验，但课件中没有测验题，也没有带分数的 nbgrader 自动评分测试。",
            )
        )
    if rule.get("total") is not None and not merged.graded_points > 0:
        problems.append(
            Problem(
                manifest_name,
                f"单元 {module.id}",
                "通过规则要求总分，但课件中没有带分数的 nbgrader 评分单元格（自动评分测试或人工评分的回答）。",
            )
        )
    if rule.get("reflection") and not merged.reflections:
        problems.append(
            Problem(
                manifest_name, f"单元 {module.id}", "通过规则要求学习心得，但课件中没有学习心得。"
            )
        )
    return problems
