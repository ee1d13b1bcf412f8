"""The columns of the participation reports: one key, one Chinese heading, everywhere."""

from __future__ import annotations

from .table import Column

ASSOCIATION = Column("association", "协会", "text")
COURSE = Column("course", "课程", "text")
COHORT = Column("cohort", "期次", "text")

MEMBERS = Column("members", "会员数")
ENROLLED = Column("enrolled", "参训人数")
ENROLMENT_RATE = Column("enrolment_rate", "参训率", "percent")
ACTIVE = Column("active", "近30天活跃")
MODULES_PASSED = Column("modules_passed", "完成单元数")
COURSES_COMPLETED = Column("courses_completed", "完成课程数")
ENROLMENTS = Column("enrolments", "选课人次")
COMPLETION_RATE = Column("completion_rate", "课程完成率", "percent")
HOURS = Column("hours", "学时", "hours")
AVERAGE_SCORE = Column("average_score", "平均分", "float")
PRESIDIUM = Column("presidium", "主席团成员")
PRESIDIUM_ENROLLED = Column("presidium_enrolled", "主席团参训")
PRESIDIUM_RATE = Column("presidium_rate", "主席团参训率", "percent")

#: the measures every participation table shows after its label column
MEASURES = (
    MEMBERS,
    ENROLLED,
    ENROLMENT_RATE,
    ACTIVE,
    ENROLMENTS,
    MODULES_PASSED,
    COURSES_COMPLETED,
    COMPLETION_RATE,
    HOURS,
    AVERAGE_SCORE,
    PRESIDIUM,
    PRESIDIUM_ENROLLED,
    PRESIDIUM_RATE,
)

WEEK = Column("week", "周（起始日）", "date")
WEEK_ACTIVE = Column("active", "活跃人数")
WEEK_SUBMISSIONS = Column("submissions", "提交次数")
WEEK_MODULES_PASSED = Column("modules_passed", "通过单元数")
WEEK_HOURS = Column("hours", "获得学时", "hours")

LAGGARD_COLUMNS = (
    Column("name", "姓名", "text"),
    Column("username", "用户名", "text"),
    Column("associations", "所属协会", "text"),
    Column("course", "课程", "text"),
    Column("due", "截止日期", "date"),
    Column("modules_passed", "已通过单元"),
    Column("modules_required", "必修单元"),
    Column("days_overdue", "逾期天数"),
)
