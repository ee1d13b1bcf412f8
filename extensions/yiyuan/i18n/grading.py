"""The grader's words (ids ``grader_…``): its errors, the feedback learners read in their
graded lessons and the audit lines of grading by hand.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    "grader_list_separator": "、",
    "grader_none": "（无）",
    # autograde.py
    "grader_no_submission": "找不到编号为 {submission_id} 的提交。",
    "grader_module_not_released": "单元 {module} 尚未发布（课程目录中没有它）：请先发布课程。",
    "grader_submission_file_missing": "提交 {submission_id} 的文件找不到了：请联系服务中心。",
    "grader_archive_unreadable": "提交 {submission_id} 的压缩包无法解开：{error}",
    "grader_release_missing": ("单元 {module} 的发布版课件在评分目录中找不到：请重新发布课程。"),
    "grader_autograde_failed": (
        "提交 {submission_id} 暂时无法自动评分（评分程序出错，不是学员的问题）：系统会自动重试。"
    ),
    "grader_no_response": "未作答（与发下的版本相同），按 0 分计。",
    "grader_grade_not_saved": "提交 {submission_id} 的成绩无法保存，请稍后重试。",
    # coursedir.py
    "grader_course_code": "课程代码",
    "grader_module_code": "单元代码",
    "grader_lessons_missing": "找不到单元 {module} 的课件文件夹 {folder}：请检查课程清单和课件。",
    "grader_generate_failed": (
        "单元 {module} 的课件无法生成学员版本（nbgrader 生成步骤失败）："
        "请用 `yiyuan courses check` 检查课件的评分单元格后重试。"
    ),
    # execute.py and feedback.py: what a learner reads in the graded lesson
    "grader_output_dropped": "\n……（输出过长，其余部分已省略）\n",
    "grader_check_timeout": "本课运行超时，此项未能检查，按 0 分计。",
    "grader_check_dead": "本课运行中断，此项未能检查，按 0 分计。",
    "grader_check_failed": "此项检查未通过。",
    "grader_check_error": "此项检查运行出错，按 0 分计。",
    "grader_cell_timeout": "本段课件运行超时，已停止。",
    "grader_cell_error": "本段课件运行出错。",
    # manual.py
    "grader_not_autograded": "提交 {submission_id} 还没有自动评分结果，暂时不能评阅。",
    "grader_not_manual_item": (
        "“{item}”不是这次提交中需要教师评阅的项目：可评阅的项目有 {names}。"
    ),
    "grader_score_not_number": "“{item}”的分数应为数字。",
    "grader_score_out_of_range": "“{item}”的分数应在 0 到 {maximum:g} 分之间，而不是 {score:g}。",
    "grader_not_graded": "未评",
    "grader_audit_manual": "评阅 {learner} 的“{module}”：{changes}",
    "grader_not_latest": (
        "提交 {submission_id} 不是该学员在本单元最新评分的一次提交：请评阅最新的提交。"
    ),
    # queue.py and worker.py
    "grader_worker_died": "评分进程意外中止，评分没有完成。",
    "grader_program_error": "评分程序出错，评分没有完成。",
    # sandbox.py
    "grader_folder_too_large": "要评分的文件夹太大，无法放入评分沙箱。",
    "grader_no_sandbox": "评分沙箱没有配置：不在沙箱里运行学员的代码。",
    "grader_no_free_slot": (
        "这台机器上的评分进程太多，没有空闲的沙箱编号（grading.sandbox_uid 之后的 {count} 个）："
        "请减少同一台机器上的评分进程。"
    ),
    "grader_no_bwrap": (
        "找不到 bubblewrap（/usr/bin/bwrap）：评分沙箱需要它。"
        "请运行 `make setup`（或 apt-get install bubblewrap）。"
    ),
    "grader_sandbox_start_error": "评分沙箱无法启动：{error}",
    "grader_sandbox_failed": (
        "评分沙箱无法启动（bubblewrap 报告：{detail}）。"
        "需要 Linux 的命名空间：在容器里运行时请允许创建命名空间，或以 root 运行评分服务。"
    ),
    "grader_sandbox_required": (
        "生产模式不能关闭评分沙箱（grading.sandbox: none）：学员的代码会以评分服务的"
        "权限运行。请删除这项设置，并安装 bubblewrap（`make setup`）。"
    ),
}

EN: dict[str, str] = {
    "grader_list_separator": ", ",
    "grader_none": "(none)",
    "grader_no_submission": "There is no submission number {submission_id}.",
    "grader_module_not_released": (
        "Module {module} has not been released (it is not in the course folder):"
        " release the course first."
    ),
    "grader_submission_file_missing": (
        "The files of submission {submission_id} cannot be found: please contact the service"
        " centre."
    ),
    "grader_archive_unreadable": "The archive of submission {submission_id} cannot be unpacked: {error}",
    "grader_release_missing": (
        "The released lessons of module {module} are missing from the grading folder:"
        " release the course again."
    ),
    "grader_autograde_failed": (
        "Submission {submission_id} cannot be graded automatically for now (the grader failed;"
        " it is not the learner's fault): it will be retried automatically."
    ),
    "grader_no_response": "No answer (same as the version handed out): scored 0.",
    "grader_grade_not_saved": (
        "The grade of submission {submission_id} could not be saved; please try again later."
    ),
    "grader_course_code": "course code",
    "grader_module_code": "module code",
    "grader_lessons_missing": (
        "The lesson folder {folder} of module {module} cannot be found: check the course"
        " manifest and the lessons."
    ),
    "grader_generate_failed": (
        "The learners' version of module {module}'s lessons could not be made (nbgrader's"
        " generate step failed): check the lessons' grading cells with"
        " `yiyuan courses check` and try again."
    ),
    "grader_output_dropped": "\n… (output too long; the rest was left out)\n",
    "grader_check_timeout": "The lesson ran out of time, so this check did not run: scored 0.",
    "grader_check_dead": "The lesson stopped running, so this check did not run: scored 0.",
    "grader_check_failed": "This check did not pass.",
    "grader_check_error": "This check failed with an error: scored 0.",
    "grader_cell_timeout": "This part of the lesson ran out of time and was stopped.",
    "grader_cell_error": "This part of the lesson failed with an error.",
    "grader_not_autograded": (
        "Submission {submission_id} has no automatic grade yet, so it cannot be graded by hand"
        " for now."
    ),
    "grader_not_manual_item": (
        "“{item}” is not an item of this submission that a trainer grades: the items are {names}."
    ),
    "grader_score_not_number": "The score of “{item}” must be a number.",
    "grader_score_out_of_range": (
        "The score of “{item}” must be between 0 and {maximum:g}, not {score:g}."
    ),
    "grader_not_graded": "not graded",
    "grader_audit_manual": "Graded “{module}” of {learner}: {changes}",
    "grader_not_latest": (
        "Submission {submission_id} is not this learner's latest graded submission for the"
        " module: please grade the latest one."
    ),
    "grader_worker_died": "The grading process stopped unexpectedly; grading did not finish.",
    "grader_program_error": "The grader failed; grading did not finish.",
    "grader_folder_too_large": "The folder to grade is too large for the grading sandbox.",
    "grader_no_sandbox": (
        "No grading sandbox is configured: learners' code is not run outside a sandbox."
    ),
    "grader_no_free_slot": (
        "Too many grading processes on this machine: no free sandbox number is left (the"
        " {count} after grading.sandbox_uid). Run fewer grading processes on one machine."
    ),
    "grader_no_bwrap": (
        "bubblewrap (/usr/bin/bwrap) is missing: the grading sandbox needs it."
        " Run `make setup` (or apt-get install bubblewrap)."
    ),
    "grader_sandbox_start_error": "The grading sandbox cannot start: {error}",
    "grader_sandbox_failed": (
        "The grading sandbox cannot start (bubblewrap says: {detail})."
        " It needs Linux namespaces: in a container, allow creating namespaces, or run the"
        " grading service as root."
    ),
    "grader_sandbox_required": (
        "Production mode cannot turn the grading sandbox off (grading.sandbox: none):"
        " learners' code would run with the grading service's permissions. Remove that"
        " setting and install bubblewrap (`make setup`)."
    ),
}
