"""The administrator workspace's words (ids ``svc_admin_…``): its navigation, page titles,
errors and the headings of the files it imports and exports.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    # admin.py: the workspace's navigation; the same words are the pages' titles
    "svc_admin_nav_home": "概览",
    "svc_admin_nav_members": "会员",
    "svc_admin_nav_roster": "导入名册",
    "svc_admin_nav_cohorts": "培训项目与期次",
    "svc_admin_nav_courses": "课程",
    "svc_admin_nav_hours": "学时",
    "svc_admin_nav_audit": "审计日志",
    "svc_admin_role": "管理员",
    "svc_admin_title_home": "管理工作台",
    "svc_admin_field_not_text": "“{key}”应为文字。",
    "svc_admin_field_not_list": "“{key}”应为文字列表。",
    # admin_certificate_handlers.py
    "svc_admin_job_died": "任务进程意外结束（状态 {status}），可重新开始批量颁发。",
    "svc_admin_no_certificate": "没有编号为 {serial} 的证书：请核对编号。",
    "svc_admin_no_username": "没有用户名为 {username} 的账号。",
    "svc_admin_certificate_title_missing": "请填写证书名称，例如“结业证书”。",
    "svc_admin_no_issuer": "没有颁发单位“{issuer}”：可选 {known}。",
    "svc_admin_job_not_started": "批量颁发任务没能启动，请稍后再试。",
    "svc_admin_audit_export": "导出期次“{cohort}”的{what}（{count} 份）",
    "svc_admin_export_zip": "全部有效证书（ZIP）",
    "svc_admin_no_valid_certificates": "这个期次还没有有效的证书可下载。",
    "svc_admin_zip_name": "{cohort}-结业证书.zip",
    "svc_admin_export_register": "证书登记册",
    "svc_admin_register_title": "{cohort} 证书登记册",
    "svc_admin_register_name": "{cohort}-证书登记册.xlsx",
    # admin_cohort_handlers.py
    "svc_admin_too_many_people": "一次最多添加 {max_people} 人，请分批添加。",
    "svc_admin_title_cohort": "期次",
    # admin_member_handlers.py
    "svc_admin_state_active": "正常",
    "svc_admin_state_inactive": "已停用",
    "svc_admin_state_all": "全部",
    "svc_admin_bad_state": "状态只能是 1（正常）、0（已停用）或 all（全部）。",
    "svc_admin_bad_offset": "offset 和 limit 应为整数。",
    # admin_roster_handlers.py
    "svc_admin_roster_too_large": (
        "名册文件超过 {max_mb} MB 的上限，没有上传。请删去多余的工作表、图片或格式，"
        "或把名册分成几个文件再上传。"
    ),
    "svc_admin_roster_confirmed": "这份名册已经确认导入过了，不能再次导入。",
    "svc_admin_roster_no_errors": "这份名册没有被拒绝的行，没有错误报告。",
    "svc_admin_roster_errors_name": "{stem}.错误报告.xlsx",
    "svc_admin_roster_not_imported": "名册还没有导入，没有初始密码。",
    "svc_admin_audit_passwords": "下载名册“{name}”新账号的初始密码（仅此一次）",
    "svc_admin_roster_passwords_name": "{stem}.初始密码.xlsx",
}

EN: dict[str, str] = {
    "svc_admin_nav_home": "Overview",
    "svc_admin_nav_members": "Members",
    "svc_admin_nav_roster": "Import roster",
    "svc_admin_nav_cohorts": "Programmes and cohorts",
    "svc_admin_nav_courses": "Courses",
    "svc_admin_nav_hours": "Study hours",
    "svc_admin_nav_audit": "Audit log",
    "svc_admin_role": "Administrator",
    "svc_admin_title_home": "Administration",
    "svc_admin_field_not_text": "“{key}” must be text.",
    "svc_admin_field_not_list": "“{key}” must be a list of texts.",
    "svc_admin_job_died": (
        "The job's process ended unexpectedly (status {status}); you can start the batch"
        " issue again."
    ),
    "svc_admin_no_certificate": (
        "There is no certificate numbered {serial}: please check the number."
    ),
    "svc_admin_no_username": "There is no account with user name {username}.",
    "svc_admin_certificate_title_missing": (
        "Please give the certificate a name, for example “Certificate of completion”."
    ),
    "svc_admin_no_issuer": "There is no issuer “{issuer}”: the choices are {known}.",
    "svc_admin_job_not_started": (
        "The batch issue job could not be started; please try again later."
    ),
    "svc_admin_audit_export": "Exported {what} of cohort “{cohort}” ({count})",
    "svc_admin_export_zip": "all valid certificates (ZIP)",
    "svc_admin_no_valid_certificates": "This cohort has no valid certificates to download yet.",
    "svc_admin_zip_name": "{cohort}-certificates.zip",
    "svc_admin_export_register": "certificate register",
    "svc_admin_register_title": "{cohort} certificate register",
    "svc_admin_register_name": "{cohort}-certificate-register.xlsx",
    "svc_admin_too_many_people": (
        "At most {max_people} people can be added at once; please add them in batches."
    ),
    "svc_admin_title_cohort": "Cohort",
    "svc_admin_state_active": "Active",
    "svc_admin_state_inactive": "Deactivated",
    "svc_admin_state_all": "All",
    "svc_admin_bad_state": "The state must be 1 (active), 0 (deactivated) or all.",
    "svc_admin_bad_offset": "offset and limit must be whole numbers.",
    "svc_admin_roster_too_large": (
        "The roster file is over the {max_mb} MB limit and was not uploaded. Remove"
        " extra sheets, pictures or formatting, or split the roster into several files"
        " and upload them."
    ),
    "svc_admin_roster_confirmed": (
        "This roster has already been imported; it cannot be imported again."
    ),
    "svc_admin_roster_no_errors": (
        "No rows of this roster were refused, so there is no error report."
    ),
    "svc_admin_roster_errors_name": "{stem}.error-report.xlsx",
    "svc_admin_roster_not_imported": (
        "The roster has not been imported yet, so there are no initial passwords."
    ),
    "svc_admin_audit_passwords": (
        "Downloaded the initial passwords of the new accounts of roster “{name}” (once only)"
    ),
    "svc_admin_roster_passwords_name": "{stem}.initial-passwords.xlsx",
}
