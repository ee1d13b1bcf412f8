"""The learner portal's pages, part two (ids ``portal_…``): 学习反馈 (feedback.html), 现场教学
(session.html), 我的证书 and 我的学时 (my_certificates.html, my_hours.html), 消息
(messages.html) and the public 证书查验 (verify.html). Read as in ``portal``.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    # feedback.html: 学习反馈, one submission's result
    "portal_feedback": "学习反馈",
    "portal_fb_submitted_at": "{when:%Y年%m月%d日 %H:%M} 提交",
    "portal_fb_result": "结果",
    "portal_fb_grading": "这份提交正在评分，请稍后再来看。",
    # {status}: the module's status, in bold
    "portal_fb_counts_best": "本次提交已评分。本单元的成绩按您最好的一次提交计算：{status}。",
    "portal_fb_counts_latest": "本次提交已评分。本单元的成绩按您最近的一次提交计算：{status}。",
    "portal_fb_passed": "已通过",
    "portal_fb_failed": "未通过",
    "portal_fb_failed_hint": "请看下面的反馈，修改后可以重新提交。",
    "portal_fb_awaiting_teacher": "已提交，学习心得待教师评阅",
    "portal_fb_submitted": "已提交",
    "portal_fb_right_of": "（{total} 题中答对 {right} 题）",
    "portal_fb_reflection": "学习心得",
    "portal_fb_characters": "共 {count} 字",
    "portal_fb_not_written": "（没有填写）",
    "portal_fb_awaiting": "待教师评阅",
    "portal_fb_awaiting_hint": "任课教师评阅后，评语和分数会显示在这里。",
    "portal_fb_teacher_score": "教师评分：{score} / {max} 分",
    "portal_fb_teacher_comment": "教师评语：{comment}",
    "portal_fb_quiz": "随堂测验",
    "portal_fb_your_answer": "您的回答：{answer}",
    "portal_fb_right": "回答正确",
    "portal_fb_wrong": "回答不正确",
    "portal_fb_partly": "部分正确（{score} / {max} 分）",
    "portal_fb_unchecked": "未评分",
    "portal_fb_checks": "作业各项",
    "portal_fb_auto_check": "（自动检查）：{score} / {max} 分",
    "portal_fb_check_passed": "通过",
    "portal_fb_check_failed": "没有通过",
    "portal_fb_check_result": "检查结果：",
    "portal_fb_teacher_check": "（教师评分）：",
    "portal_fb_points": "{score} / {max} 分",
    "portal_fb_review_module": "复习本单元",
    "portal_fb_back_to_module": "回到本单元",
    "portal_fb_graded_page": "查看批改原页（含课件全文）",
    "portal_fb_graded_page_named": "查看批改原页（含课件全文）：{name}",
    # session.html: 现场教学, one session for its trainer
    "portal_back": "返回",
    "portal_session_facts": "本场信息",
    "portal_session_course": "课程",
    "portal_session_label": "场次",
    "portal_session_time": "时间",
    "portal_session_place": "地点",
    "portal_session_tbd": "未定",
    "portal_session_trainer": "主讲",
    "portal_session_withdrawn": "这一场已从课程清单中撤下，只能查看。",
    "portal_session_checkin_hint": "开始签到后，把签到码告诉在场的学员，请他们在「我的学习」里输入。过了截止时间的签到一律不收，请在下面的名单上补记。",
    "portal_session_minutes": "有效时长（分钟）",
    "portal_session_open_checkin": "开始签到",
    "portal_session_closes": "截止",
    "portal_session_close_checkin": "结束签到",
    "portal_session_roster": "出勤名单",
    "portal_session_roster_count": "出勤名单（{count} 人）",
    "portal_session_no_learners": "还没有学员参加这门课程。",
    "portal_session_attendance_of": "{name} 的出勤",
    "portal_session_present": "出勤",
    "portal_session_absent": "缺席",
    "portal_session_save": "保存",
    "portal_session_checkin_over": "签到时间已到，签到已截止。",
    # my_certificates.html: 我的证书
    "portal_year": "{year} 年",
    "portal_cert_awards": "结业证书",
    "portal_cert_no_awards": "您还没有结业证书。学完一门课程的全部必修单元并通过，结业证书就会出现在这里。",
    "portal_cert_heading": "{title}：{subject}",
    "portal_cert_completed_on": "{day}结业",
    "portal_cert_valid": "有效",
    "portal_cert_revoked": "已撤销",
    "portal_cert_serial": "证书编号",
    "portal_cert_number": "编号",
    "portal_cert_download": "下载证书（PDF）",
    "portal_cert_verify_page": "查看查验页",
    "portal_cert_revoked_on": "此证书已于 {day} 撤销；如有疑问请联系服务中心。",
    "portal_cert_revoked_reissued": "此证书已于 {day} 撤销，已换发新证书；如有疑问请联系服务中心。",
    "portal_cert_qr_hint": "证书上有二维码和编号，任何人扫码或在查验页输入编号，都能核实证书是否有效。",
    "portal_cert_statements": "学时证明",
    "portal_cert_statements_intro": "学时证明列出一年中获得的全部学时，可交给单位或协会。下载时按当时的学时记录开具。",
    "portal_cert_download_statement": "下载 {year} 年学时证明（PDF）",
    "portal_cert_no_hours_year": "这一年还没有学时记录，暂不能开具。",
    "portal_cert_issued_statements": "已开具的学时证明（{count} 份）",
    "portal_cert_issued_on": "{day}开具",
    "portal_cert_download_again": "再次下载",
    # my_hours.html: 我的学时
    "portal_my_hours": "我的学时",
    "portal_hours_year_total": "年度合计",
    # {hours}: the number, shown large
    "portal_hours_year_heading": "{year} 年共获得 {hours} 学时",
    "portal_hours_how": "学时在单元通过、现场教学签到或管理员录入时计入；协会和文联统计时用的是同一本台账。",
    "portal_hours_choose_year": "选择年份",
    "portal_hours_details_label": "学时明细",
    "portal_hours_details": "明细",
    "portal_hours_none": "{year} 年还没有学时记录。学完一个单元并通过，学时就会记在这里。",
    "portal_hours_by_admin": "管理员录入：{reason}",
    "portal_hours_no_reason": "（未写原因）",
    "portal_hours_reversed": "（撤销）",
    # messages.html: 消息
    "portal_msg_list": "消息列表",
    "portal_msg_mine": "我的消息",
    "portal_msg_new_count": "（{count} 条新消息）",
    "portal_msg_none": "暂时没有消息。评分结果、教师评语、报名通知和截止提醒都会出现在这里。",
    "portal_msg_new": "新",
    "portal_msg_notice": "通知",
    "portal_msg_view_hours": "查看学时",
    "portal_msg_view_course": "查看课程",
    # verify.html: 证书查验, public (what a certificate's QR code opens)
    "portal_verify": "证书查验",
    "portal_verify_valid": "这份{title}由{issuer}颁发，真实有效。",
    "portal_verify_revoked": "这份{title}已于 {day} 撤销，不再有效。",
    "portal_verify_contents": "证书内容",
    "portal_verify_name": "姓名",
    "portal_verify_association": "协会",
    "portal_verify_issuer": "颁发单位",
    "portal_verify_privacy": "为保护个人信息，姓名只显示首尾两字。请与纸质证书上的姓名和编号核对。",
    "portal_verify_result": "查验结果",
    "portal_verify_heading": "查验一份证书",
    "portal_verify_intro": "请输入证书上印的编号（在二维码下方），例如 2026-ZS-000123-7KQ4M9XA。",
    "portal_verify_another": "查验另一份证书：",
    "portal_verify_serial_missing": "请填写证书上印的编号。",
    "portal_verify_button": "查验",
}

EN: dict[str, str] = {
    # feedback.html: 学习反馈, one submission's result
    "portal_feedback": "Learning feedback",
    "portal_fb_submitted_at": "submitted {when:%Y-%m-%d %H:%M}",
    "portal_fb_result": "Result",
    "portal_fb_grading": "This submission is being graded; please come back a little later.",
    # {status}: the module's status, in bold
    "portal_fb_counts_best": (
        "This submission has been graded. Your result in this module counts your best"
        " submission: {status}."
    ),
    "portal_fb_counts_latest": (
        "This submission has been graded. Your result in this module counts your latest"
        " submission: {status}."
    ),
    "portal_fb_passed": "Passed",
    "portal_fb_failed": "Not passed",
    "portal_fb_failed_hint": "Please read the feedback below; you can submit again after revising.",
    "portal_fb_awaiting_teacher": "Submitted; reflection awaiting the trainer's grading",
    "portal_fb_submitted": "Submitted",
    "portal_fb_right_of": " ({right} of {total} questions right)",
    "portal_fb_reflection": "Reflection",
    "portal_fb_characters": "{count} characters",
    "portal_fb_not_written": "(not written)",
    "portal_fb_awaiting": "Awaiting the trainer's grading",
    "portal_fb_awaiting_hint": "Once the trainer has graded it, the comment and score appear here.",
    "portal_fb_teacher_score": "Trainer's score: {score} / {max} points",
    "portal_fb_teacher_comment": "Trainer's comment: {comment}",
    "portal_fb_quiz": "Quiz",
    "portal_fb_your_answer": "Your answer: {answer}",
    "portal_fb_right": "Right",
    "portal_fb_wrong": "Not right",
    "portal_fb_partly": "Partly right ({score} / {max} points)",
    "portal_fb_unchecked": "Not graded",
    "portal_fb_checks": "Parts of the assignment",
    "portal_fb_auto_check": " (checked automatically): {score} / {max} points",
    "portal_fb_check_passed": "Passed",
    "portal_fb_check_failed": "Not passed",
    "portal_fb_check_result": "Check result: ",
    "portal_fb_teacher_check": " (graded by the trainer): ",
    "portal_fb_points": "{score} / {max} points",
    "portal_fb_review_module": "Review this module",
    "portal_fb_back_to_module": "Back to this module",
    "portal_fb_graded_page": "View the graded page (with the full lesson)",
    "portal_fb_graded_page_named": "View the graded page (with the full lesson): {name}",
    # session.html: 现场教学, one session for its trainer
    "portal_back": "Back",
    "portal_session_facts": "About this session",
    "portal_session_course": "Course",
    "portal_session_label": "Session",
    "portal_session_time": "Time",
    "portal_session_place": "Place",
    "portal_session_tbd": "Not set",
    "portal_session_trainer": "Lecturer",
    "portal_session_withdrawn": "This session has been withdrawn from the course; it can only be viewed.",
    "portal_session_checkin_hint": (
        "Once check-in has started, tell the learners present the check-in code and ask them to"
        " enter it in “My learning”. Check-ins after the closing time are not accepted; record"
        " those on the roster below."
    ),
    "portal_session_minutes": "Valid for (minutes)",
    "portal_session_open_checkin": "Start check-in",
    "portal_session_closes": "closes",
    "portal_session_close_checkin": "End check-in",
    "portal_session_roster": "Attendance roster",
    "portal_session_roster_count": "Attendance roster ({count} people)",
    "portal_session_no_learners": "No learners have joined this course yet.",
    "portal_session_attendance_of": "Attendance of {name}",
    "portal_session_present": "Present",
    "portal_session_absent": "Absent",
    "portal_session_save": "Save",
    "portal_session_checkin_over": "The check-in time is up; check-in has closed.",
    # my_certificates.html: 我的证书
    "portal_year": "{year}",
    "portal_cert_awards": "Certificates of completion",
    "portal_cert_no_awards": (
        "You have no certificate of completion yet. Pass every required module of a course and"
        " its certificate appears here."
    ),
    "portal_cert_heading": "{title}: {subject}",
    "portal_cert_completed_on": "Completed {day}",
    "portal_cert_valid": "Valid",
    "portal_cert_revoked": "Revoked",
    "portal_cert_serial": "Certificate number",
    "portal_cert_number": "Number",
    "portal_cert_download": "Download the certificate (PDF)",
    "portal_cert_verify_page": "View its verification page",
    "portal_cert_revoked_on": (
        "This certificate was revoked on {day}; if you have questions, please contact the"
        " service centre."
    ),
    "portal_cert_revoked_reissued": (
        "This certificate was revoked on {day} and a new one issued in its place; if you have"
        " questions, please contact the service centre."
    ),
    "portal_cert_qr_hint": (
        "A certificate carries a QR code and a number: anyone can scan the code, or enter the"
        " number on the verification page, to check that it is valid."
    ),
    "portal_cert_statements": "Study-hour statements",
    "portal_cert_statements_intro": (
        "A study-hour statement lists all the study hours earned in a year, to give to your"
        " employer or association. It is issued from the study-hour records at the time of"
        " download."
    ),
    "portal_cert_download_statement": "Download the {year} study-hour statement (PDF)",
    "portal_cert_no_hours_year": "No study hours recorded for this year yet; it cannot be issued.",
    "portal_cert_issued_statements": "Study-hour statements issued ({count})",
    "portal_cert_issued_on": "issued {day}",
    "portal_cert_download_again": "Download again",
    # my_hours.html: 我的学时
    "portal_my_hours": "My study hours",
    "portal_hours_year_total": "Year total",
    # {hours}: the number, shown large
    "portal_hours_year_heading": "{hours} study hours earned in {year}",
    "portal_hours_how": (
        "Study hours count when a module is passed, at on-site check-in, or when an"
        " administrator records them; associations and the federation count from the same"
        " ledger."
    ),
    "portal_hours_choose_year": "Choose a year",
    "portal_hours_details_label": "Study-hour details",
    "portal_hours_details": "Details",
    "portal_hours_none": (
        "No study hours recorded for {year} yet. Pass a module and its study hours are recorded"
        " here."
    ),
    "portal_hours_by_admin": "Recorded by an administrator: {reason}",
    "portal_hours_no_reason": "(no reason given)",
    "portal_hours_reversed": "(reversed)",
    # messages.html: 消息
    "portal_msg_list": "Message list",
    "portal_msg_mine": "My messages",
    "portal_msg_new_count": " ({count} new)",
    "portal_msg_none": (
        "No messages for now. Grading results, trainers' comments, enrolment notices and due-date"
        " reminders all appear here."
    ),
    "portal_msg_new": "New",
    "portal_msg_notice": "Notice",
    "portal_msg_view_hours": "View study hours",
    "portal_msg_view_course": "View the course",
    # verify.html: 证书查验, public (what a certificate's QR code opens)
    "portal_verify": "Certificate verification",
    "portal_verify_valid": "This {title} was issued by {issuer} and is genuine and valid.",
    "portal_verify_revoked": "This {title} was revoked on {day} and is no longer valid.",
    "portal_verify_contents": "Certificate details",
    "portal_verify_name": "Name",
    "portal_verify_association": "Association",
    "portal_verify_issuer": "Issued by",
    "portal_verify_privacy": (
        "To protect personal information, only the first and last characters of the name are"
        " shown. Please compare the name and number with the paper certificate."
    ),
    "portal_verify_result": "Verification result",
    "portal_verify_heading": "Verify a certificate",
    "portal_verify_intro": (
        "Please enter the number printed on the certificate (below the QR code), e.g."
        " 2026-ZS-000123-7KQ4M9XA."
    ),
    "portal_verify_another": "Verify another certificate: ",
    "portal_verify_serial_missing": "Please enter the number printed on the certificate.",
    "portal_verify_button": "Verify",
}
