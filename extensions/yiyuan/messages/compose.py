"""The words of each message: plain functions of what happened, in the portal's terms.

Scores are the module result's percentage (测验得分 80%): the same figure the lesson, the
portal and the feedback page show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Draft:
    kind: str
    title: str
    body: str
    #: below the platform's prefix (``feedback/12``, ``courses/shufa``); "" for the portal
    link: str = ""


def _score(score: float | None) -> str:
    # whole percent, as the portal, the lesson and the feedback page show it
    return f"测验得分 {round(score)}%。" if score is not None else ""


def _feedback(submission_id: int | None) -> str:
    return f"feedback/{submission_id}" if submission_id else ""


def passed(module: str, score: float | None, hours: float, submission_id: int | None) -> Draft:
    credit = f"计 {hours:g} 学时。" if hours > 0 else ""
    return Draft(
        "passed",
        f"《{module}》已通过",
        f"{_score(score)}{credit}".strip() or "本单元已通过。",
        _feedback(submission_id),
    )


def failed(module: str, score: float | None, submission_id: int | None) -> Draft:
    return Draft(
        "failed",
        f"《{module}》未通过",
        f"{_score(score)}请查看反馈，重新学习后可以再次提交。",
        _feedback(submission_id),
    )


def teacher_graded(
    module: str, score: float | None, most: float, comments: list[str], submission_id: int
) -> Draft:
    said = f"得分 {score:g} / {most:g}。" if score is not None else ""
    if comments:
        said += "教师评语：" + "；".join(comments)
    return Draft(
        "teacher-graded",
        f"教师已评阅《{module}》的学习心得",
        said or "请查看反馈。",
        _feedback(submission_id),
    )


def grading_failed(module: str, submission_id: int | None) -> Draft:
    return Draft(
        "grading-failed",
        f"《{module}》的提交暂时无法评分",
        "这不是您的错。请稍后重新提交一次；如果仍然不行，请联系任课教师。",
        _feedback(submission_id),
    )


def course_completed(course: str, code: str, hours: float, certificate: bool = False) -> Draft:
    credit = f"共计 {hours:g} 学时，" if hours > 0 else ""
    if certificate:
        return Draft(
            "course-completed",
            f"恭喜您完成课程《{course}》",
            f"{credit}结业证书已颁发，可以在「我的证书」查看和下载。",
            "certificates",
        )
    return Draft(
        "course-completed",
        f"恭喜您完成课程《{course}》",
        f"{credit}可以在「我的学时」查看明细。",
        "hours",
    )


def enrolled(course: str, code: str, due: date | None) -> Draft:
    until = f"请在 {due:%Y-%m-%d} 前完成学习。" if due else "欢迎开始学习。"
    return Draft("enrolled", f"您已报名课程《{course}》", until, f"courses/{code}")


def due(
    course: str, code: str, due_day: date, days_left: int, after: str = "截止后不能再提交"
) -> Draft:
    """A reminder of the due date; ``after``: the course's 迟交 policy in a learner's words."""
    when = {0: "今天截止", 1: "明天截止"}.get(days_left, f"还有 {days_left} 天截止")
    return Draft(
        "due-tomorrow" if days_left <= 1 else "due-soon",
        f"《{course}》{when}",
        f"截止日期 {due_day:%Y-%m-%d}，请在截止前完成学习；{after}。",
        f"courses/{code}",
    )
