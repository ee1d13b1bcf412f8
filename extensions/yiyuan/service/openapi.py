"""The OpenAPI description of the service's REST API (served at ``api/openapi.json``).

Written by hand, checked by a test against the routes: every API route and method of the
application must be described here, and nothing described may be missing from the routes.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from .. import __version__

JSON = "application/json"
TAR = "application/gzip"


def _op(
    summary: str,
    *,
    body: str | None = None,
    returns: str = JSON,
    ok: int = 200,
    errors: tuple[int, ...] = (401, 403, 404),
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {str(ok): {"description": "成功 / OK", "content": {returns: {}}}},
    }
    for status in errors:
        operation["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
    if body:
        operation["requestBody"] = {"required": True, "content": {body: {}}}
    return operation


COURSE = {"name": "course", "in": "path", "required": True, "schema": {"type": "string"}}
MODULE = {"name": "module", "in": "path", "required": True, "schema": {"type": "string"}}
SUBMISSION = {
    "name": "submission_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}

REPORT = {
    "name": "report",
    "in": "path",
    "required": True,
    "schema": {
        "type": "string",
        "enum": ["by-association", "by-course", "by-cohort", "weekly-trend", "laggards"],
    },
}
#: the report filters (comma-separated lists; dates 2026-09-01, inclusive, local days)
REPORT_FILTERS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
    for name in ("association", "course", "cohort", "programme", "standing", "from", "to")
]

#: path → {method: operation}; "parameters" lists the path's parameters
PATHS: dict[str, dict[str, Any]] = {
    "/api/me": {"get": _op("当前用户：账号、角色、今年学时 / the caller")},
    "/api/me/courses": {"get": _op("我的课程与各单元进度 / my courses and progress")},
    "/api/me/preferences": {
        "get": _op("我的显示设置：大字 / my display preferences (large text)"),
        "post": _op(
            '修改我的显示设置：{"large_text": true}（只改本人的）/ change my preferences',
            body=JSON,
            errors=(400, 401),
        ),
    },
    "/api/courses": {"get": _op("我已参加或可报名的课程 / courses I take or may enrol in")},
    "/api/me/messages": {
        "get": _op("我的消息与未读数（先生成新消息）/ my messages and the unread count"),
        "post": _op(
            '标记已读：{"read": [编号…]} 或 {"read": "all"} / mark messages read',
            body=JSON,
            errors=(400, 401),
        ),
    },
    "/api/me/modules/{course}/{module}/opened": {
        "parameters": [COURSE, MODULE],
        "post": _op("记录学员打开了单元（学习中）/ the learner opened a module", ok=201),
    },
    "/api/courses/{course}/enrol": {
        "parameters": [COURSE],
        "post": _op("报名选修课 / enrol in an elective", ok=201, errors=(401, 403, 404)),
    },
    "/api/courses/{course}/leave": {
        "parameters": [COURSE],
        "post": _op(
            "退出自己报名的选修课（学习记录和学时保留）/ leave an elective I enrolled in",
            errors=(401, 403, 404),
        ),
    },
    "/api/lessons/{course}/{module}/answers": {
        "parameters": [COURSE, MODULE],
        "get": _op("编译课件中已保存的答案 / my saved answers in a compiled lesson"),
        "put": _op(
            "保存答案的改动（null 清除）/ save changed answers (null clears one)",
            errors=(400, 401, 403, 404, 413),
        ),
    },
    "/api/lessons/{course}/{module}/submit": {
        "parameters": [COURSE, MODULE],
        "post": _op(
            "检查（check: true）或提交单元，由服务打包答案 / check or submit the module",
            ok=201,
            errors=(401, 403, 404, 409, 413),
        ),
    },
    "/api/lessons/{course}/{module}/result/{submission_id}": {
        "parameters": [COURSE, MODULE, SUBMISSION],
        "get": _op("课件页显示的评分结果 / the result the lesson page shows"),
    },
    "/api/submissions/{submission_id}": {
        "parameters": [SUBMISSION],
        "get": _op("一次提交的评分状态与结果 / grading state of a submission"),
    },
    "/api/submissions/{submission_id}/feedback/{name}": {
        "parameters": [SUBMISSION, NAME],
        "get": _op("一篇课件的反馈页 / one lesson's feedback page", returns="text/html"),
    },
    "/api/reports/{report}": {
        "parameters": [REPORT, *REPORT_FILTERS],
        "get": _op(
            "参训情况报表（按查看者的权限）/ participation report, scoped to the caller",
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/exchange/assignments": {
        "get": _op("可获取的单元（nbgrader list）/ released modules I may fetch"),
    },
    "/api/exchange/release/{course}/{module}": {
        "parameters": [COURSE, MODULE],
        "get": _op("下载发布的单元（fetch）/ download a release", returns=TAR),
        "put": _op(
            "发布单元（教师）/ release a module (trainer)",
            body=TAR,
            errors=(400, 401, 403, 404, 413),
        ),
        "delete": _op("撤回发布（教师）/ withdraw a release (trainer)"),
    },
    "/api/exchange/submissions": {
        "get": _op("提交列表：学员看自己的，教师看课程的 / submissions visible to me"),
    },
    "/api/exchange/submissions/{course}/{module}": {
        "parameters": [COURSE, MODULE],
        "post": _op(
            "提交单元（学员）；时间以平台为准 / submit (learner; the service keeps the clock)",
            body=TAR,
            ok=201,
            errors=(400, 401, 403, 404, 413),
        ),
    },
    "/api/exchange/submissions/{submission_id}/archive": {
        "parameters": [SUBMISSION],
        "get": _op("下载一次提交（本人或任课教师）/ download a submission", returns=TAR),
    },
    "/api/exchange/feedback": {
        "get": _op("有反馈的提交（学员本人）/ my submissions with feedback"),
    },
    "/api/exchange/feedback/{submission_id}": {
        "parameters": [SUBMISSION],
        "put": _op(
            "上传反馈（教师）/ release feedback (trainer)",
            body=TAR,
            errors=(400, 401, 403, 404, 413),
        ),
    },
    "/api/exchange/feedback/{submission_id}/archive": {
        "parameters": [SUBMISSION],
        "get": _op("下载反馈（本人或任课教师）/ download feedback", returns=TAR),
    },
    "/api/grading/{course}/queue": {
        "parameters": [COURSE],
        "get": _op("待评阅的学习心得（任课教师）/ reflections to grade (trainer)"),
    },
    "/api/grading/submissions/{submission_id}": {
        "parameters": [SUBMISSION],
        "post": _op(
            "评阅学习心得：各项分数与评语（任课教师）/ grade manual items (trainer)",
            body=JSON,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/openapi.json": {"get": _op("本描述 / this description", errors=())},
}

#: the trainer workspace (service/trainer_handlers.py)
TRAINER_PATHS: dict[str, dict[str, Any]] = {
    "/api/trainer/courses": {
        "get": _op(
            "教师工作台：我的课程（管理员：全部课程）的进度、待评阅、需关注学员、现场教学、"
            "可发布的课程 / the trainer workspace (administrators: every course)",
            errors=(401, 403),
        ),
    },
    "/api/trainer/courses/{course}/progress": {
        "parameters": [COURSE],
        "get": _op(
            "课程概况与各单元进度（任课教师、管理员）/ course and per-module figures",
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/trainer/courses/{course}/stuck": {
        "parameters": [
            COURSE,
            {
                "name": "idle_days",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": 365, "default": 14},
            },
        ],
        "get": _op(
            "需要关注的学员：未通过未重做、评分出错、久未学习、已逾期 / stuck learners",
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/trainer/courses/{course}/publish": {
        "parameters": [COURSE],
        "get": _op(
            "发布前查看将要发生的变化（新增单元、更新课件、新报名学员……），不写入任何内容；"
            "400 时 problems 列出每个问题 / preview a publish: what would change, nothing kept",
            errors=(400, 401, 403, 404),
        ),
        "post": _op(
            "发布或更新课程（与 yiyuan courses publish 相同）；summary 用一句话说明变化，"
            '400 时 problems 列出每个问题；可带 {"version": N} 确认所查看的那次发布（之后'
            "又有人发布时为 409）/ publish a course from its sources (400 lists the problems)",
            errors=(400, 401, 403, 404, 409),
        ),
    },
}
#: on-site sessions, attendance and check-in (service/onsite_handlers.py)
ONSITE_SESSION = {
    "name": "session_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
}
ONSITE_PATHS: dict[str, dict[str, Any]] = {
    "/api/onsite/sessions/{session_id}": {
        "parameters": [ONSITE_SESSION],
        "get": _op(
            "一场现场教学：信息、出勤名单、签到状态（任课教师或管理员）"
            " / a session: facts, roster, check-in state (trainer or administrator)"
        ),
    },
    "/api/onsite/sessions/{session_id}/attendance": {
        "parameters": [ONSITE_SESSION],
        "post": _op(
            '记录出勤名单 {"present": [用户名], "absent": [用户名]}；只写变化，逐人记入操作日志'
            " / record the roster (changes only, each audited)",
            body=JSON,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/onsite/sessions/{session_id}/checkin": {
        "parameters": [ONSITE_SESSION],
        "post": _op(
            '开始签到 {"minutes": 15}，返回 {"code", "closes_at"}'
            " / open a check-in code for a window",
            body=JSON,
            ok=201,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/onsite/sessions/{session_id}/checkin/close": {
        "parameters": [ONSITE_SESSION],
        "post": _op("结束签到 / close the check-in window now"),
    },
    "/api/me/checkin": {
        "post": {
            **_op(
                '学员输入签到码 {"code": "123456"}；以平台时间为准，截止后拒绝'
                " / a learner checks in (the service keeps the clock)",
                body=JSON,
                errors=(400, 401, 403),
            ),
        },
    },
}
# 429: too many wrong codes in ten minutes (not among the shared error responses)
ONSITE_PATHS["/api/me/checkin"]["post"]["responses"]["429"] = {
    "description": "签到码输错次数太多，10 分钟后再试 / too many wrong codes",
    "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
}
#: course sources uploaded from a trainer's JupyterLab (service/authoring_handlers.py)
AUTHORING_PATHS: dict[str, dict[str, Any]] = {
    "/api/authoring/courses/{course}/sources": {
        "parameters": [COURSE],
        "post": _op(
            "上传课程源文件（<code>.yml 与 notebooks/<code>/ 的 tar.gz）并发布（任课教师或管理员）；"
            "201 已发布，400 检查发现的问题（problems）/ upload a course's sources and publish",
            body=TAR,
            ok=201,
            errors=(400, 401, 403, 413),
        ),
    },
}
#: the audit log (service/audit_handlers.py)
AUDIT_FILTERS = [
    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
    for name in ("action", "actor", "course", "from", "to")
]
AUDIT_PATHS: dict[str, dict[str, Any]] = {
    "/api/audit": {
        "parameters": AUDIT_FILTERS,
        "get": _op("审计日志（管理员）/ the audit log (administrators)", errors=(400, 401, 403)),
    },
    "/api/audit/export": {
        "parameters": [
            *AUDIT_FILTERS,
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"enum": ["xlsx", "csv"]},
            },
        ],
        "get": _op(
            "导出审计日志（管理员）/ export the audit log (administrators)",
            returns="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            errors=(400, 401, 403),
        ),
    },
}

#: the administrator workspace (service/admin_*.py): overview and courses
ADMIN_PATHS: dict[str, dict[str, Any]] = {
    "/api/admin/overview": {
        "get": _op(
            "平台概况：会员、锁定账号、课程、期次、本年学时（管理员）/ platform figures",
            errors=(401, 403),
        ),
    },
    "/api/admin/courses": {
        "get": _op(
            "全部课程：发布状态、任课教师、报名与结业（管理员）/ every course at a glance",
            errors=(401, 403),
        ),
    },
}
#: members, accounts and study hours (service/admin_member_handlers.py)
USERNAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
ADMIN_MEMBER_PATHS: dict[str, dict[str, Any]] = {
    "/api/admin/members": {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in ("text", "association", "standing", "active", "offset", "limit")
        ],
        "get": _op(
            "查找会员：text 为姓名/用户名/手机号片段，association 协会简称或全称，standing 身份，"
            "active 为 1（正常，默认）、0（已停用）或 all；返回 members 与 total"
            " / search members (paged)",
            errors=(400, 401, 403),
        ),
    },
    "/api/admin/export/members": {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
            for name in ("text", "association", "standing", "active", "format", "show_mobile")
        ],
        "get": _op(
            "导出查找到的全部会员（format=xlsx|csv；show_mobile=1 含完整手机号）"
            " / export the members a search finds",
            returns="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            errors=(400, 401, 403),
        ),
    },
    "/api/admin/members/{username}": {
        "parameters": [USERNAME],
        "get": _op(
            "一位会员：账号、会员信息、协会与身份、课程与单元成绩、本年度学时与学时台账、证书"
            " / a member's profile"
        ),
    },
    "/api/admin/members/{username}/deactivate": {
        "parameters": [USERNAME],
        "post": _op(
            "停用账号（不能停用自己，记入审计日志）/ deactivate an account",
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/members/{username}/activate": {
        "parameters": [USERNAME],
        "post": _op("恢复账号（记入审计日志）/ reactivate an account"),
    },
    "/api/admin/members/{username}/reset-password": {
        "parameters": [USERNAME],
        "post": _op(
            '重置密码，返回 {"password": 初始密码}（只返回这一次；登录后须修改，锁定随之解除）'
            " / reset to a one-time initial password"
        ),
    },
    "/api/admin/members/{username}/unlock": {
        "parameters": [USERNAME],
        "post": _op("解除因多次输错密码造成的锁定 / unlock after failed logins"),
    },
    "/api/admin/hours/credits": {
        "get": _op(
            "最近手工计入的学时与现行学时规则 / recent manual credits and the rules in force",
            errors=(401, 403),
        ),
        "post": _op(
            '手工计入学时 {"username": 用户名或手机号, "hours": 6, "date": "2026-11-20", '
            '"reason": 事由, "approver": 批准人} / credit hours earned outside the platform',
            body=JSON,
            ok=201,
            errors=(400, 401, 403, 404),
        ),
    },
}
#: roster upload, preview and confirm (service/admin_roster_handlers.py)
UPLOAD_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ADMIN_ROSTER_PATHS: dict[str, dict[str, Any]] = {
    "/api/admin/roster/uploads": {
        "parameters": [
            {"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
            {
                "name": "deactivate_missing",
                "in": "query",
                "required": False,
                "schema": {"enum": ["0", "1"]},
            },
        ],
        "post": _op(
            "上传名册（请求体为 .xlsx 或 .csv 文件本身）并试运行，返回 {token, preview}：将发生的"
            "变化与每个被拒绝的行（管理员）/ upload a roster and preview the import (dry run)",
            body="application/octet-stream",
            ok=201,
            errors=(400, 401, 403, 413),
        ),
    },
    "/api/admin/roster/uploads/{token}": {
        "parameters": [UPLOAD_TOKEN],
        "get": _op("一次上传：预览与导入结果（管理员）/ an upload's preview and result"),
    },
    "/api/admin/roster/uploads/{token}/confirm": {
        "parameters": [UPLOAD_TOKEN],
        "post": _op(
            "确认导入（与 yiyuan members import 相同；只能一次，再次确认为 409）"
            " / import the previewed roster, once",
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/roster/uploads/{token}/errors": {
        "parameters": [UPLOAD_TOKEN],
        "get": _op("下载错误报告（被拒绝的行与原因）/ the error report", returns=XLSX),
    },
    "/api/admin/roster/uploads/{token}/passwords": {
        "parameters": [UPLOAD_TOKEN],
        "post": _op(
            "下载新账号的初始密码，仅一次（随后删除；再次请求为 410）"
            " / the initial passwords, once (then deleted)",
            returns=XLSX,
        ),
    },
}
for _path, _method, _status, _text in (
    (
        "/api/admin/roster/uploads/{token}/confirm",
        "post",
        "409",
        "已经确认导入过 / already imported",
    ),
    ("/api/admin/roster/uploads/{token}/passwords", "post", "409", "尚未导入 / not imported yet"),
    ("/api/admin/roster/uploads/{token}/passwords", "post", "410", "已下载过 / already downloaded"),
):
    ADMIN_ROSTER_PATHS[_path][_method]["responses"][_status] = {
        "description": _text,
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
#: programmes and cohorts (service/admin_cohort_handlers.py)
COHORT = {"name": "cohort", "in": "path", "required": True, "schema": {"type": "string"}}
ADMIN_COHORT_PATHS: dict[str, dict[str, Any]] = {
    "/api/admin/programmes": {
        "get": _op("培训项目列表（管理员）/ programmes", errors=(401, 403)),
        "post": _op(
            "新建培训项目：code、name、description / create a programme",
            body=JSON,
            ok=201,
            errors=(400, 401, 403),
        ),
    },
    "/api/admin/cohorts": {
        "get": _op("期次列表：日期、状态、学员、课程、完成率 / cohorts", errors=(401, 403)),
        "post": _op(
            "新建期次：code、name、programme、starts_on、ends_on、associations、standings、"
            "courses、description / create a cohort",
            body=JSON,
            ok=201,
            errors=(400, 401, 403),
        ),
    },
    "/api/admin/cohorts/{cohort}": {
        "parameters": [COHORT],
        "get": _op("一个期次：面向对象、课程进度、学员名单 / one cohort"),
    },
    "/api/admin/cohorts/{cohort}/rule-targets": {
        "parameters": [COHORT],
        "get": _op("按规则报名的预览：将添加多少人及部分姓名 / preview of enrolment by rule"),
    },
    "/api/admin/cohorts/{cohort}/enrol": {
        "parameters": [COHORT],
        "post": _op("按规则报名并为学员报名期次课程 / enrol by rule", errors=(401, 403, 404, 409)),
    },
    "/api/admin/cohorts/{cohort}/members": {
        "parameters": [COHORT],
        "post": _op(
            "手工添加学员：people 为用户名或手机号列表 / add members by hand",
            body=JSON,
            errors=(400, 401, 403, 404, 409),
        ),
    },
    "/api/admin/cohorts/{cohort}/close": {
        "parameters": [COHORT],
        "post": _op("结束期次（不删除记录）/ close a cohort", errors=(401, 403, 404, 409)),
    },
}

#: certificates in the workspace (service/admin_certificate_handlers.py)
SERIAL = {"name": "serial", "in": "path", "required": True, "schema": {"type": "string"}}
ADMIN_CERTIFICATE_PATHS: dict[str, dict[str, Any]] = {
    "/api/admin/members/{username}/certificates": {
        "parameters": [USERNAME],
        "get": _op(
            "一位会员的证书与学时证明（新的在前，含状态、下载地址），以及可补发的课程和期次"
            " / a member's certificates and what may be issued by hand"
        ),
        "post": _op(
            '补发证书：{"course": 课程代码} 或 {"cohort": 期次代码}，及 "reason"（必填）；'
            "只能为已完成且尚无证书的课程或期次补发 / issue a certificate by hand",
            body=JSON,
            ok=201,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/certificates/{serial}/revoke": {
        "parameters": [SERIAL],
        "post": _op(
            '撤销证书：{"reason": 原因}（必填；查验时显示“已撤销”）/ revoke a certificate',
            body=JSON,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/certificates/{serial}/reissue": {
        "parameters": [SERIAL],
        "post": _op(
            '重新颁发：{"reason": 原因, "name": 证书上的姓名（可不填：用会员记录中的姓名）}；'
            "新编号，原证书撤销 / reissue (new serial, the old one revoked)",
            body=JSON,
            ok=201,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/cohorts/{cohort}/certificate": {
        "parameters": [COHORT],
        "post": _op(
            '期次结业证书设置：{"title": 证书名称, "issuer": 颁发单位代码} 设置，'
            '{"clear": true} 取消（已颁发的仍有效）/ set or clear the class\'s certificate',
            body=JSON,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/cohorts/{cohort}/certificates": {
        "parameters": [COHORT],
        "get": _op(
            "期次证书：设置、有效与已撤销份数、最近的批量颁发任务及进度"
            " / the class's certificate setting, counts and latest job"
        ),
        "post": _op(
            "开始批量颁发（后台进行；已有任务在进行时返回该任务）/ start the batch job",
            ok=202,
            errors=(400, 401, 403, 404),
        ),
    },
    "/api/admin/cohorts/{cohort}/certificates/zip": {
        "parameters": [COHORT],
        "get": _op(
            "下载期次全部有效证书（ZIP，每份一个 PDF；记入审计日志）"
            " / all valid certificates of the class as one ZIP",
            returns="application/zip",
            errors=(401, 403, 404, 409),
        ),
    },
    "/api/admin/cohorts/{cohort}/certificates/register": {
        "parameters": [COHORT],
        "get": _op(
            "导出期次证书登记册（Excel，含已撤销的；记入审计日志）/ the class's register",
            returns=XLSX,
        ),
    },
}

for _section in (
    TRAINER_PATHS,
    ONSITE_PATHS,
    AUTHORING_PATHS,
    AUDIT_PATHS,
    ADMIN_PATHS,
    ADMIN_MEMBER_PATHS,
    ADMIN_ROSTER_PATHS,
    ADMIN_COHORT_PATHS,
    ADMIN_CERTIFICATE_PATHS,
):
    PATHS.update(_section)


def spec(prefix: str = "/services/yiyuan") -> dict[str, Any]:
    error = {"content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "艺苑平台服务 Yiyuan service API",
            "version": __version__,
            "description": "认证：浏览器用 JupyterHub OAuth；程序用 JupyterHub 令牌，"
            "请求头 `Authorization: token <令牌>`。错误一律为 JSON，`error` 是可直接显示的中文说明。"
            "API 之外：`GET /metrics` 以 Prometheus 文本格式给出评分队列的深度"
            "（`yiyuan_grading_jobs{state=…}`、`yiyuan_grading_oldest_queued_seconds`），"
            "供按队列深度自动扩缩评分进程；请求头 `Authorization: Bearer <service.metrics_token>`，"
            "未配置该令牌时为 404。",
        },
        "servers": [{"url": prefix}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "hubToken": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string", "description": "中文说明"},
                        "code": {"type": "string"},
                        "status": {"type": "integer"},
                    },
                }
            },
            "responses": {
                f"E{status}": {"description": text, **error}
                for status, text in {
                    400: "请求无效",
                    401: "未登录",
                    403: "无权限",
                    404: "不存在",
                    409: "与当前状态冲突",
                    413: "内容太大",
                }.items()
            },
        },
        "security": [{"hubToken": []}],
    }


class OpenApiHandler(web.RequestHandler):
    """Public: describes the API, reveals no data."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        prefix = self.application.settings.get("yiyuan_prefix", "/services/yiyuan/")
        self.finish(spec(prefix.rstrip("/")))


routes = [("api/openapi.json", OpenApiHandler)]
