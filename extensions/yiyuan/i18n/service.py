"""The web service's words (ids ``svc_…``): its errors, the sentences of its pages built in
Python and the headings of the files it exports. Administrator pages' words are in
``service_admin``.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    # shared
    "svc_list_separator": "、",
    "svc_course_code": "课程代码",
    "svc_module_code": "单元代码",
    "svc_bad_export_format": "导出格式只能是 xlsx 或 csv。",
    # base.py: the answer for each HTTP status, and the base handler's own errors
    "svc_http_400": "请求无效。",
    "svc_http_401": "请先登录。",
    "svc_http_403": "您没有权限进行此操作。",
    "svc_http_404": "找不到请求的内容。",
    "svc_http_405": "不支持此操作。",
    "svc_http_409": "操作与当前状态冲突，请刷新后重试。",
    "svc_http_413": "上传的内容太大。",
    "svc_http_500": "平台出现了意外错误，请稍后再试；如果一直不成功，请联系服务中心。",
    "svc_users_only": "平台服务只接受用户的请求。",
    "svc_no_account": "您的账号在平台上不存在或已停用，请联系服务中心。",
    "svc_bad_json": "请求内容不是有效的 JSON。",
    "svc_json_not_object": "请求内容应为一个 JSON 对象。",
    "svc_page_failed": "页面暂时无法打开，请稍后再试。",
    "svc_back_to_portal": "返回我的学习",
    # access.py
    "svc_no_course": "没有课程“{code}”，或它已下线。",
    "svc_no_module": "课程“{course}”中没有单元“{code}”。",
    "svc_no_course_module": "没有找到课程“{course}”的单元“{module}”，或它已下线。",
    "svc_trainers_only": "只有课程“{course}”的任课教师可以进行此操作。",
    "svc_no_submission": "找不到这份提交。",
    # submissions.py
    "svc_submit_not_enrolled": "您没有参加课程“{course}”，不能提交它的单元。",
    "svc_submit_not_released": "单元“{module}”尚未发布，不能提交。",
    "svc_submit_closed": (
        "单元“{module}”的提交截止日期是 {due_day:%Y年%m月%d日}，已经截止，不能再提交。"
        "如有特殊情况，请联系任课教师。"
    ),
    # publishing.py
    "svc_publish_refused": "课程 {code} 有问题，没有发布。",
    # answer_view.py: the kinds of answer a trainer grades
    "svc_answer_markdown": "书面回答",
    "svc_answer_code": "代码回答",
    "svc_answer_task": "任务",
    "svc_output_image": "代码输出的图片",
    # feedback_view.py
    "svc_quiz_score": "测验得分",
    "svc_no_answer": "（未作答）",
    "svc_true": "正确",
    "svc_false": "错误",
    # catalogue_handlers.py: dates as a person writes them, local time
    "svc_weekdays": "一 二 三 四 五 六 日",
    "svc_day": "{year}年{month}月{day}日",
    "svc_day_time": "{day}（星期{weekday}）{time}",
    "svc_course_not_open": "没有找到课程“{code}”：它可能已下线，或不面向您。",
    "svc_title_catalogue": "课程中心",
    "svc_module_onsite": "现场教学",
    "svc_module_online": "在线学习",
    "svc_time_to_be_set": "时间待定",
    "svc_place_to_be_set": "地点待定",
    "svc_not_enrolled_in": "您没有报名“{course}”。",
    "svc_left_elective": "已退出选修“{course}”。学习记录和学时都保留，以后可以重新报名。",
    # certificate_handlers.py: the public verify page and 我的证书
    "svc_subject_course": "课程",
    "svc_subject_cohort": "培训班",
    "svc_subject_other": "内容",
    "svc_day_completed": "结业日期",
    "svc_day_issued": "开具日期",
    "svc_day_other": "日期",
    "svc_certificate_not_found": "没有找到编号为 {serial} 的证书，请核对编号。",
    "svc_certificate_number_missing": "请填写证书编号。",
    "svc_title_verify": "证书查验",
    "svc_verify_too_often": "查询太频繁，请一分钟后再试。",
    "svc_verify_unavailable": "查验暂时无法进行，请稍后再试。",
    "svc_verify_again": "重新查验",
    "svc_title_my_certificates": "我的证书",
    "svc_certificate_not_yours": "这不是您的证书。",
    "svc_certificate_revoked": "此证书已撤销。",
    # certificate_views.py
    "svc_certificate_kind_course": "课程",
    "svc_certificate_kind_cohort": "期次",
    "svc_certificate_kind_hours": "年度学时",
    "svc_certificate_valid": "有效",
    "svc_certificate_revoked_state": "已撤销",
    "svc_job_interrupted": "已中断",
    "svc_job_queued": "等待开始",
    "svc_job_running": "正在颁发",
    "svc_job_done": "已完成",
    "svc_job_failed": "未完成",
    # exchange_handlers.py
    "svc_upload_too_large": "上传的内容超过 {limit} MB 的上限，已拒收。请删去大文件后重试。",
    "svc_bad_content_length": "请求头 Content-Length 无效。",
    "svc_no_content_length": "请求缺少 Content-Length。",
    "svc_scope_needs_course": "查看课程的提交时请给出课程代码（course_id）。",
    "svc_bad_scope": "scope 只能是 own 或 course，而不是“{scope}”。",
    "svc_module_needs_course": "按单元筛选时请同时给出课程代码（course_id）。",
    "svc_fetch_not_enrolled": "您没有参加课程“{course}”，不能获取它的单元。",
    "svc_module_not_released": "单元“{module}”尚未发布。",
    "svc_release_missing": "单元“{module}”的发布文件不见了，请联系服务中心。",
    "svc_release_onsite": "单元“{module}”是现场教学，没有课件可发布。",
    "svc_release_no_notebook": "压缩包中没有课件（.ipynb），已拒收。",
    "svc_submission_no_notebook": "提交的内容中没有课件（.ipynb），已拒收。",
    "svc_submission_file_missing": "这份提交的文件不见了，请联系服务中心。",
    "svc_feedback_not_html": "反馈压缩包中应当只有各篇课件的反馈页（*.html）。",
    "svc_no_feedback_yet": "这份提交还没有反馈。",
    # learner_handlers.py
    "svc_already_enrolled": "您已在学习“{course}”。",
    "svc_not_eligible": "“{course}”不面向您所在的协会，或不是选修课，不能自行报名。",
    "svc_enrolled": "报名成功：“{course}”已加入我的学习。",
    "svc_not_taking": "您没有参加课程“{course}”。",
    "svc_title_feedback": "学习反馈",
    "svc_title_my_hours": "我的学时",
    "svc_no_hours_year": "没有 {year} 年的学时记录。",
    "svc_title_portal": "我的学习",
    "svc_dashboard_overview": "各协会参训情况总览",
    "svc_dashboard_association": "一个协会的课程与逾期名单",
    "svc_dashboard_course": "一门课程的各协会参训与单元完成",
    "svc_dashboard_cohort": "各期培训班的参训情况",
    # lesson_handlers.py: the compiled lesson page
    "svc_lesson_not_compiled": (
        "这个单元的课件正在准备中，请过几分钟再打开；如果一直这样，请联系服务中心。"
    ),
    "svc_lesson_not_enrolled": "您没有参加课程“{course}”，不能打开它的单元。",
    "svc_title_lesson": "课件",
    "svc_lesson_none": "这个单元里没有课件，请联系任课教师。",
    "svc_lesson_missing": "这个单元里没有这份课件。",
    # the lesson page's script fills in {n}, {min}, {done} and {total} itself
    "svc_lesson_saved": "已自动保存",
    "svc_lesson_saving": "正在保存……",
    "svc_lesson_save_failed": "答案暂时没有保存成功，页面会自动重试；请不要关闭本页。",
    "svc_lesson_written": "已写 {n} 字",
    "svc_lesson_written_min": "已写 {n} 字，至少 {min} 字",
    "svc_lesson_last": "您上次的提交：",
    "svc_lesson_progress": "已完成 {done} / {total} 项",
    "svc_lesson_contents": "本课内容（共 {n} 节）",
    "svc_lesson_place": "第 {number} / {total} 单元：",
    "svc_lesson_list": "本单元的课件",
    "svc_back_arrow": "← 返回我的学习",
    "svc_large_text_hint": "放大页面上的字，再按一次恢复",
    "svc_large_text": "大字",
    "svc_answers_too_long": "答案太长，没有保存（每个单元的答案合计不超过 256 KB）。",
    "svc_no_answers": "请求中没有答案（answers）。",
    "svc_items_missing": "还有 {count} 项没有完成，请补充后再提交：",
    "svc_submission_too_large": "提交的内容太大，无法提交，请联系服务中心。",
    "svc_next_module": "下一单元：{module}",
    "svc_role_trainer": "教师",
    # message_handlers.py: how each kind of message is marked in the list
    "svc_message_passed": "通过",
    "svc_message_failed": "未通过",
    "svc_message_teacher_graded": "教师评阅",
    "svc_message_grading_failed": "评分问题",
    "svc_message_completed": "结业",
    "svc_message_enrolled": "报名",
    "svc_message_due": "截止提醒",
    "svc_title_messages": "消息",
    "svc_mark_read_usage": '请用 {{"read": [消息编号…]}} 或 {{"read": "all"}} 标记已读。',
    # preference_handlers.py
    "svc_preference_large_text": "大字（large_text）",
    "svc_preference_unknown": "不能设置“{unknown}”：可以设置的只有{known}。",
    "svc_preference_missing": '请求中没有要改的设置，例如 {{"large_text": true}}。',
    "svc_preference_not_bool": "大字（large_text）只能是 true 或 false。",
    "svc_large_text_on": "已改为大字，每次登录都会保持。",
    "svc_large_text_off": "已恢复标准字号。",
    # onsite_handlers.py
    "svc_no_onsite_session": "找不到这一场现场教学。",
    "svc_onsite_not_trainer": "只有本课程的任课教师或管理员可以管理这一场现场教学。",
    "svc_attendance_lists": "请以用户名列表给出出勤（present）和缺席（absent）的学员。",
    "svc_checkin_opened": "签到已开始，{closes_at} 截止。",
    "svc_checkin_closed": "签到已结束。",
    "svc_checkin_code_format": "签到码应为 6 位数字。",
    # metrics_handlers.py
    "svc_metrics_token_missing": (
        "读取指标需要令牌：请在请求头中写 Authorization: Bearer <令牌>，"
        "令牌即配置项 service.metrics_token（或环境变量 YIYUAN_METRICS_TOKEN）的值。"
    ),
    "svc_metrics_token_wrong": (
        "指标令牌不正确：请使用配置项 service.metrics_token（或环境变量 YIYUAN_METRICS_TOKEN）"
        "中的令牌。"
    ),
    "svc_title_onsite": "现场教学",
    # grading_handlers.py
    "svc_scores_missing": "请给出每项的分数（scores）。",
    "svc_score_not_number": "分数应为数字。",
    "svc_title_grading": "批改学习心得",
    "svc_no_such_page": "没有这个页面。",
    "svc_graded_work_code": "作业",
    "svc_graded_work_reflections": "学习心得",
    # trainer_handlers.py
    "svc_workspace_not_for_you": "教师工作台只对教师和管理员开放。",
    "svc_view_trainers_only": "只有课程“{course}”的任课教师可以查看此内容。",
    "svc_bad_idle_days": "idle_days 应为 1 到 365 之间的整数（天）。",
    "svc_no_sources": "没有课程“{code}”的课件源文件。",
    "svc_publish_not_allowed": (
        "只有课程清单中列出、且是已发布课程任课教师的教师可以发布课程“{code}”。"
    ),
    "svc_bad_version": "version 应为要确认的发布次数（整数）。",
    "svc_published_since": (
        "课程在您查看变化之后又发布过（已是第 {published} 次发布）："
        "请重新查看将要发生的变化，再确认发布。"
    ),
    "svc_title_trainer": "教师工作台",
    # authoring_handlers.py: uploading a course's sources
    "svc_upload_trainers_only": "只有教师和管理员可以上传课件。",
    "svc_upload_other_trainers": (
        "课程“{course}”（{code}）已由其他教师发布，只有它的任课教师可以上传新版本。"
        "如需换代码，请修改课程代码后重试。"
    ),
    "svc_upload_foreign_file": (
        "压缩包中的“{path}”不属于课程 {code} 的课件（只能有 {code}.yml 和"
        " notebooks/{code}/ 中的文件），已拒收。"
    ),
    "svc_upload_no_manifest": "压缩包中没有课程清单 {code}.yml，已拒收。",
    "svc_upload_problems": "课程 {code} 有 {count} 个问题，没有上传，也没有发布。",
    "svc_audit_upload": "上传课程 {code} 的课件（{count} 个文件）",
    "svc_upload_not_listed": (
        "您（{username}）不在课程清单 {code}.yml 的“教师”中，不能上传这门课程。"
        "请把自己的用户名加入“教师”后重试。"
    ),
    "svc_manifest_trainers": "“教师”",
    "svc_trainer_not_active": (
        "{name} 不是平台上在用的教师账号：请改为正确的用户名，或请服务中心开通。"
    ),
}

EN: dict[str, str] = {
    "svc_list_separator": ", ",
    "svc_course_code": "course code",
    "svc_module_code": "module code",
    "svc_bad_export_format": "The export format must be xlsx or csv.",
    "svc_http_400": "The request is not valid.",
    "svc_http_401": "Please log in first.",
    "svc_http_403": "You are not allowed to do this.",
    "svc_http_404": "What you asked for cannot be found.",
    "svc_http_405": "This action is not supported.",
    "svc_http_409": "This conflicts with the current state; please refresh and try again.",
    "svc_http_413": "The upload is too large.",
    "svc_http_500": (
        "The platform met an unexpected error; please try again later, and if it keeps"
        " failing, contact the service centre."
    ),
    "svc_users_only": "The platform service only takes requests from users.",
    "svc_no_account": (
        "Your account does not exist on the platform or has been deactivated; please"
        " contact the service centre."
    ),
    "svc_bad_json": "The request body is not valid JSON.",
    "svc_json_not_object": "The request body must be a JSON object.",
    "svc_page_failed": "The page cannot be opened right now; please try again later.",
    "svc_back_to_portal": "Back to My learning",
    "svc_no_course": "There is no course “{code}”, or it has been taken offline.",
    "svc_no_module": "Course “{course}” has no module “{code}”.",
    "svc_no_course_module": (
        "Module “{module}” of course “{course}” cannot be found, or it has been taken offline."
    ),
    "svc_trainers_only": "Only the trainers of course “{course}” may do this.",
    "svc_no_submission": "This submission cannot be found.",
    "svc_submit_not_enrolled": (
        "You are not taking course “{course}”, so you cannot submit its modules."
    ),
    "svc_submit_not_released": (
        "Module “{module}” has not been released, so it cannot be submitted."
    ),
    "svc_submit_closed": (
        "The due date of module “{module}” was {due_day:%Y-%m-%d}; it has passed and"
        " submissions are closed. In special circumstances, please contact the trainer."
    ),
    "svc_publish_refused": "Course {code} has problems and was not published.",
    "svc_answer_markdown": "Written answer",
    "svc_answer_code": "Code answer",
    "svc_answer_task": "Task",
    "svc_output_image": "image output by the code",
    "svc_quiz_score": "Quiz score",
    "svc_no_answer": "(no answer)",
    "svc_true": "True",
    "svc_false": "False",
    "svc_weekdays": "Mon Tue Wed Thu Fri Sat Sun",
    "svc_day": "{year}-{month:02d}-{day:02d}",
    "svc_day_time": "{weekday} {day} {time}",
    "svc_course_not_open": (
        "Course “{code}” cannot be found: it may have been taken offline, or it is not open to you."
    ),
    "svc_title_catalogue": "Courses",
    "svc_module_onsite": "On-site session",
    "svc_module_online": "Online learning",
    "svc_time_to_be_set": "Time to be announced",
    "svc_place_to_be_set": "Place to be announced",
    "svc_not_enrolled_in": "You are not enrolled in “{course}”.",
    "svc_left_elective": (
        "You have left the elective “{course}”. Your records and study hours are kept,"
        " and you can enrol again later."
    ),
    "svc_subject_course": "Course",
    "svc_subject_cohort": "Training class",
    "svc_subject_other": "Content",
    "svc_day_completed": "Completed on",
    "svc_day_issued": "Issued on",
    "svc_day_other": "Date",
    "svc_certificate_not_found": (
        "No certificate numbered {serial} was found; please check the number."
    ),
    "svc_certificate_number_missing": "Please enter the certificate number.",
    "svc_title_verify": "Verify a certificate",
    "svc_verify_too_often": "Too many look-ups; please try again in a minute.",
    "svc_verify_unavailable": "Certificates cannot be verified right now; please try again later.",
    "svc_verify_again": "Verify again",
    "svc_title_my_certificates": "My certificates",
    "svc_certificate_not_yours": "This is not your certificate.",
    "svc_certificate_revoked": "This certificate has been revoked.",
    "svc_certificate_kind_course": "Course",
    "svc_certificate_kind_cohort": "Cohort",
    "svc_certificate_kind_hours": "Study hours of a year",
    "svc_certificate_valid": "Valid",
    "svc_certificate_revoked_state": "Revoked",
    "svc_job_interrupted": "Interrupted",
    "svc_job_queued": "Waiting to start",
    "svc_job_running": "Issuing",
    "svc_job_done": "Done",
    "svc_job_failed": "Not finished",
    "svc_upload_too_large": (
        "The upload is over the {limit} MB limit and was refused. Remove large files and try again."
    ),
    "svc_bad_content_length": "The Content-Length header is not valid.",
    "svc_no_content_length": "The request has no Content-Length.",
    "svc_scope_needs_course": "To list a course's submissions, give the course code (course_id).",
    "svc_bad_scope": "scope must be own or course, not “{scope}”.",
    "svc_module_needs_course": "To filter by module, also give the course code (course_id).",
    "svc_fetch_not_enrolled": (
        "You are not taking course “{course}”, so you cannot fetch its modules."
    ),
    "svc_module_not_released": "Module “{module}” has not been released.",
    "svc_release_missing": (
        "The released files of module “{module}” are missing; please contact the service centre."
    ),
    "svc_release_onsite": "Module “{module}” is an on-site session; it has no lessons to release.",
    "svc_release_no_notebook": "The archive has no lessons (.ipynb) and was refused.",
    "svc_submission_no_notebook": "The submission has no lessons (.ipynb) and was refused.",
    "svc_submission_file_missing": (
        "The files of this submission are missing; please contact the service centre."
    ),
    "svc_feedback_not_html": (
        "The feedback archive must hold only the lessons' feedback pages (*.html)."
    ),
    "svc_no_feedback_yet": "This submission has no feedback yet.",
    "svc_already_enrolled": "You are already taking “{course}”.",
    "svc_not_eligible": (
        "“{course}” is not open to your association, or is not an elective, so you"
        " cannot enrol yourself."
    ),
    "svc_enrolled": "Enrolled: “{course}” is now in My learning.",
    "svc_not_taking": "You are not taking course “{course}”.",
    "svc_title_feedback": "Feedback",
    "svc_title_my_hours": "My study hours",
    "svc_no_hours_year": "There are no study hours recorded for {year}.",
    "svc_title_portal": "My learning",
    "svc_dashboard_overview": "Participation of every association at a glance",
    "svc_dashboard_association": "One association's courses and who is overdue",
    "svc_dashboard_course": "One course: participation by association and module completion",
    "svc_dashboard_cohort": "Participation in each cohort of a training class",
    "svc_lesson_not_compiled": (
        "The lessons of this module are being prepared; please open it again in a few"
        " minutes, and if this goes on, contact the service centre."
    ),
    "svc_lesson_not_enrolled": (
        "You are not taking course “{course}”, so you cannot open its modules."
    ),
    "svc_title_lesson": "Lesson",
    "svc_lesson_none": "This module has no lessons; please contact the trainer.",
    "svc_lesson_missing": "This module has no such lesson.",
    "svc_lesson_saved": "Saved automatically",
    "svc_lesson_saving": "Saving…",
    "svc_lesson_save_failed": (
        "Your answers could not be saved just now; the page will try again by itself."
        " Please do not close it."
    ),
    "svc_lesson_written": "{n} characters written",
    "svc_lesson_written_min": "{n} characters written, at least {min}",
    "svc_lesson_last": "Your last submission: ",
    "svc_lesson_progress": "{done} / {total} items done",
    "svc_lesson_contents": "In this lesson ({n} sections)",
    "svc_lesson_place": "Module {number} / {total}: ",
    "svc_lesson_list": "Lessons of this module",
    "svc_back_arrow": "← Back to My learning",
    "svc_large_text_hint": "Make the text on the page larger; press again to undo",
    "svc_large_text": "Large text",
    "svc_answers_too_long": (
        "The answers are too long and were not saved (a module's answers may total 256 KB at most)."
    ),
    "svc_no_answers": "The request has no answers.",
    "svc_items_missing": "{count} items are not done yet; please complete them and submit again: ",
    "svc_submission_too_large": (
        "The submission is too large to submit; please contact the service centre."
    ),
    "svc_next_module": "Next module: {module}",
    "svc_role_trainer": "Trainer",
    "svc_message_passed": "Passed",
    "svc_message_failed": "Not passed",
    "svc_message_teacher_graded": "Graded by trainer",
    "svc_message_grading_failed": "Grading problem",
    "svc_message_completed": "Completed",
    "svc_message_enrolled": "Enrolled",
    "svc_message_due": "Due soon",
    "svc_title_messages": "Messages",
    "svc_mark_read_usage": (
        'Mark messages read with {{"read": [message ids…]}} or {{"read": "all"}}.'
    ),
    "svc_preference_large_text": "large text (large_text)",
    "svc_preference_unknown": "“{unknown}” cannot be set: only {known} can.",
    "svc_preference_missing": (
        'The request changes no setting; send, for example, {{"large_text": true}}.'
    ),
    "svc_preference_not_bool": "large text (large_text) must be true or false.",
    "svc_large_text_on": "Large text is on and stays on every time you log in.",
    "svc_large_text_off": "Standard text size is back.",
    "svc_no_onsite_session": "This on-site session cannot be found.",
    "svc_onsite_not_trainer": (
        "Only the course's trainers or an administrator may run this on-site session."
    ),
    "svc_attendance_lists": (
        "Give the learners who were present and absent as lists of user names (present, absent)."
    ),
    "svc_checkin_opened": "Check-in is open until {closes_at}.",
    "svc_checkin_closed": "Check-in is closed.",
    "svc_checkin_code_format": "The check-in code must be 6 digits.",
    "svc_metrics_token_missing": (
        "Reading the metrics needs a token: send the header Authorization: Bearer <token>, the "
        "token being the setting service.metrics_token (or YIYUAN_METRICS_TOKEN)."
    ),
    "svc_metrics_token_wrong": (
        "The metrics token is wrong: use the token of the setting service.metrics_token "
        "(or YIYUAN_METRICS_TOKEN)."
    ),
    "svc_title_onsite": "On-site session",
    "svc_scores_missing": "Give a score for each item (scores).",
    "svc_score_not_number": "Scores must be numbers.",
    "svc_title_grading": "Grade reflections",
    "svc_no_such_page": "There is no such page.",
    "svc_graded_work_code": "Assignments",
    "svc_graded_work_reflections": "Reflections",
    "svc_workspace_not_for_you": (
        "The trainer workspace is open to trainers and administrators only."
    ),
    "svc_view_trainers_only": "Only the trainers of course “{course}” may see this.",
    "svc_bad_idle_days": "idle_days must be a whole number of days from 1 to 365.",
    "svc_no_sources": "There are no lesson sources for course “{code}”.",
    "svc_publish_not_allowed": (
        "Only a trainer listed in the course manifest, who also teaches the published"
        " course, may publish course “{code}”."
    ),
    "svc_bad_version": (
        "version must be the number of the publish being confirmed (a whole number)."
    ),
    "svc_published_since": (
        "The course was published again after you looked at the changes (it is now"
        " publish number {published}): look at what will change again, then confirm."
    ),
    "svc_title_trainer": "Trainer workspace",
    "svc_upload_trainers_only": "Only trainers and administrators may upload lessons.",
    "svc_upload_other_trainers": (
        "Course “{course}” ({code}) was published by other trainers; only its trainers"
        " may upload a new version. To use another code, change the course code and try"
        " again."
    ),
    "svc_upload_foreign_file": (
        "“{path}” in the archive is not part of course {code}'s lessons (only {code}.yml"
        " and the files in notebooks/{code}/ may be there): refused."
    ),
    "svc_upload_no_manifest": "The archive has no course manifest {code}.yml: refused.",
    "svc_upload_problems": (
        "Course {code} has {count} problems: it was neither uploaded nor published."
    ),
    "svc_audit_upload": "Uploaded the lessons of course {code} ({count} files)",
    "svc_upload_not_listed": (
        "You ({username}) are not among the “trainers” of the course manifest"
        " {code}.yml, so you cannot upload this course. Add your user name to “trainers”"
        " and try again."
    ),
    "svc_manifest_trainers": "“trainers”",
    "svc_trainer_not_active": (
        "{name} is not an active trainer account on the platform: correct the user name,"
        " or ask the service centre to open the account."
    ),
}
