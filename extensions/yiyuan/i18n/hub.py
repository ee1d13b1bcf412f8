"""The hub's own pages and the login/password messages (ids without an area prefix).

Templates read them as ``{{ t.login_button }}``; the login and password code as
``catalogue.format("password_too_short", min_length=8)``.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    # locale data, not shown as text: <html lang> and moment.js's locale for relative times
    "html_lang": "zh-CN",
    "moment_locale": "zh-cn",
    # shared
    "default_site_name": "艺苑",
    "tagline": "文艺培训学习平台",
    "noscript": "本平台需要启用浏览器的 JavaScript 功能，请启用后刷新页面。",
    "close": "关闭",
    "ok": "确定",
    "colon": "：",
    "refresh": "刷新",
    "back_home": "返回首页",
    "continue_link": "继续",
    "never": "从未",
    "not_available": "无",
    "scope_applies_to": "适用于 {filter}。",
    "error_dialog_title": "出错了",
    "error_dialog_body": "操作未能完成。",
    # navbar
    "nav_home": "首页",
    "nav_my_learning": "我的学习",
    "nav_change_password": "修改密码",
    "nav_token": "令牌",
    "nav_admin": "管理",
    "nav_services": "服务",
    "nav_logout": "退出登录",
    "nav_login": "登录",
    "nav_toggle": "展开菜单",
    "nav_dark_mode": "切换深色模式",
    # login page
    "login_welcome": "欢迎登录{site_name}",
    "login_username": "用户名或手机号",
    "login_password": "密码",
    "login_button": "登录",
    "login_show_password": "显示密码",
    "login_hide_password": "隐藏密码",
    "login_with_service": "使用 {service} 登录",
    "login_insecure_warning": (
        "注意：当前连接未加密（HTTP），密码可能被他人截获。请联系管理员启用 HTTPS。"
    ),
    "login_terms_before": "登录即表示您同意",
    "login_terms_link": "平台使用条款",
    "login_terms_after": "。",
    "login_account_note": "账号由管理员创建，忘记密码请联系所在协会或服务中心。",
    # login and password messages used by Python code (ids fixed)
    "login_failed": "用户名或密码错误。",
    # the same for every cause (unknown name, wrong password, a block), so that the answer
    # never tells whether an account exists
    "login_throttled": (
        "用户名或密码错误。尝试次数较多，请稍后再试；如需帮助，请联系所在协会或服务中心。"
    ),
    "account_inactive": "该账号已停用。如有疑问，请联系所在协会或服务中心。",
    "account_system_name": "该用户名与服务器的系统账号相同，不能登录。请联系管理员。",
    "sso_no_account": (
        "您已通过统一身份认证，但平台名册中没有您的有效账号。请联系所在协会或服务中心。"
    ),
    "password_changed": "密码已修改，请牢记新密码。",
    "password_mismatch": "两次输入的新密码不一致，请重新输入。",
    "password_wrong_current": "当前密码不正确。",
    "password_too_short": "新密码至少需要 {min_length} 个字符。",
    "password_too_simple": "新密码需至少包含字母、数字、符号中的两类。",
    "password_same_as_username": "新密码不能与用户名相同，也不能包含用户名。",
    "password_common": "该密码过于常见，容易被猜到，请换一个。",
    "password_must_change": "首次登录，请先设置您自己的密码。",
    "password_reuse": "新密码不能与当前密码相同。",
    # change-password page
    "change_password_title": "修改密码",
    "change_password_current": "当前密码",
    "change_password_new": "新密码",
    "change_password_confirm": "再次输入新密码",
    "change_password_rules": "新密码要求：",
    "change_password_rule_length": "至少 {min_length} 个字符",
    "change_password_rule_mix": "至少包含字母、数字、符号中的两类",
    "change_password_rule_username": "不能包含您的用户名",
    "change_password_submit": "保存新密码",
    # home page
    "home_title": "首页",
    "home_welcome": "{name}，您好！",
    "home_intro": "点击下方按钮进入您的学习环境。",
    "home_start": "启动学习环境",
    "home_open": "进入学习环境",
    "home_stop": "停止学习环境",
    "home_stopping": "学习环境正在停止",
    "home_named_servers": "其他学习环境",
    "home_named_servers_intro": "除默认学习环境外，您还可以创建带名称的学习环境，同时运行多个。",
    "home_named_servers_limit": "除默认学习环境外，您最多还可以创建 {limit} 个带名称的学习环境。",
    "home_invalid_server_names": "以下学习环境的名称不符合新的命名规则，请联系管理员处理：",
    "home_col_name": "名称",
    "home_col_url": "地址",
    "home_col_activity": "最近使用",
    "home_col_actions": "操作",
    "home_new_server_label": "新学习环境的名称",
    "home_new_server_placeholder": "为学习环境起个名字",
    "home_add_server": "新建",
    "home_start_short": "启动",
    "home_stop_short": "停止",
    "home_delete_short": "删除",
    # spawn options, spawn pending, stop pending, not running
    "spawn_title": "学习环境选项",
    "spawn_heading": "请选择学习环境",
    "spawn_for_user": "正在为 {name} 启动学习环境",
    "spawn_error": "启动失败：",
    "spawn_submit": "启动",
    "spawn_pending_title": "正在准备",
    "spawn_pending_heading": "正在为您准备学习环境…",
    "spawn_pending_redirect": "准备好后页面会自动跳转，请稍候。",
    "spawn_pending_complete": "已完成",
    "spawn_pending_log": "详细进度",
    "spawn_pending_help": (
        "如果等待超过几分钟仍未完成，请刷新页面；问题持续时请联系所在协会或服务中心。"
    ),
    "spawn_pending_cancel": "取消启动",
    "spawn_pending_stopping": "正在停止…",
    "spawn_pending_stopped": "已停止。",
    "spawn_pending_stop_error": "停止失败。",
    "spawn_progress_requested": "已提交启动请求",
    "spawn_progress_spawning": "正在启动学习环境…",
    "spawn_progress_ready": "学习环境已就绪，正在进入…",
    "spawn_progress_failed": "启动失败",
    "spawn_progress_failed_detail": "启动失败：{detail}",
    "stop_pending_title": "正在停止",
    "stop_pending_heading": "学习环境正在停止…",
    "stop_pending_body": "停止完成后即可重新启动，页面会自动刷新。",
    "not_running_title": "学习环境未运行",
    "not_running_heading": "学习环境未运行",
    "not_running_body": "您的学习环境目前没有运行。",
    "not_running_auto": "即将自动重新启动；如果几秒后仍未跳转，请点击下方按钮。",
    "not_running_start": "启动学习环境",
    "not_running_failed_heading": "学习环境启动失败",
    "not_running_failed_body": "最近一次启动学习环境没有成功。",
    "not_running_failed_next": (
        "您可以重试；如果仍然失败，请联系所在协会或服务中心，并告知上面的错误信息。"
    ),
    "not_running_retry": "重新启动学习环境",
    # error pages
    "error_title": "出错了",
    "error_title_400": "请求无效",
    "error_title_403": "没有访问权限",
    "error_title_404": "页面不存在",
    "error_title_405": "不支持的操作",
    "error_title_424": "学习环境未运行",
    "error_title_500": "平台内部错误",
    "error_title_502": "服务暂时不可用",
    "error_title_503": "服务暂时不可用",
    "error_code": "错误代码 {code}",
    "error_details": "详细信息（联系工作人员时可提供）：",
    "error_hint": "请返回首页重试。如果问题持续出现，请联系所在协会或服务中心。",
    "error_hint_server": (
        "平台暂时出现故障，请稍等片刻后刷新重试。如果问题持续出现，请联系所在协会或服务中心。"
    ),
    "error_hint_403": "您的账号没有访问此页面的权限。如确需访问，请联系管理员。",
    "error_hint_404": "您要找的页面不存在，可能是链接有误或页面已被移除。请从首页重新进入。",
    "error_hint_503": "您的学习环境可能已经停止，请返回首页重新启动。",
    # logout page
    "logout_title": "已退出",
    "logout_heading": "您已安全退出登录",
    "logout_body": "感谢使用，欢迎下次再来学习。",
    "logout_login_again": "重新登录",
    # token page
    "token_title": "访问令牌",
    "token_intro": "令牌供程序代替您访问平台（例如自动提交作业的脚本）。一般学员无需使用。",
    "token_note_label": "备注",
    "token_note_placeholder": "写明这个令牌的用途",
    "token_note_help": "备注帮助您记住每个令牌的用途。",
    "token_expires_label": "有效期",
    "token_expires_help": "令牌到期后自动失效。",
    "token_expires_hour": "1 小时",
    "token_expires_day": "1 天",
    "token_expires_week": "1 周",
    "token_expires_month": "1 个月",
    "token_expires_year": "1 年",
    "token_expires_never": "永不过期",
    "token_expires_max_hours": "最长（{hours} 小时）",
    "token_expires_max_days": "最长（{days} 天）",
    "token_scopes_label": "权限",
    "token_scopes_placeholder": "权限范围（scope），多个用空格分隔",
    "token_scopes_help": "可以限制令牌只能做指定的事；不填写则与您本人的权限相同。",
    "token_request": "申请新令牌",
    "token_new": "您的新令牌",
    "token_copy_now": (
        "请立即复制并妥善保存此令牌，离开本页后将无法再次查看；如有遗失，可随时申请新的令牌。"
    ),
    "token_list_heading": "已有令牌",
    "token_list_intro": (
        "以下令牌可以访问平台接口。撤销正在运行的学习环境所用的令牌后，需要重新启动该学习环境。"
    ),
    "token_col_note": "备注",
    "token_col_scopes": "权限",
    "token_col_last_used": "最近使用",
    "token_col_created": "创建时间",
    "token_col_expires": "到期时间",
    "token_col_app": "应用",
    "token_col_first_authorized": "首次授权",
    "token_scopes_summary": "查看权限",
    "token_never_expires": "永不过期",
    "token_revoke": "撤销",
    "token_apps_heading": "已授权的应用",
    "token_apps_intro": "这些应用（主要是学习环境）通过平台确认您的身份，一般不能代您执行操作。",
    # oauth and sharing
    "oauth_title": "授权访问",
    "oauth_lead": "有一个应用请求访问与您平台账号相关的信息。",
    "oauth_client": "{client}（地址：{url}）请求确认您的身份。",
    "oauth_identify_only": "它不能代您执行任何操作。",
    "oauth_grants": "授权后，该应用将获得以下权限：",
    "oauth_required": "此项授权为必需",
    "oauth_authorize": "同意授权",
    "share_title": "接受共享邀请",
    "share_lead": "{owner} 邀请您（{user}）访问其学习环境",
    "share_server_name": "（{name}）",
    "share_not_running": (
        "该学习环境目前没有运行。接受邀请后，可能需要请 {owner} 先启动它，您才能访问。"
    ),
    "share_grants": "接受邀请后，您将获得以下权限（仅限这个学习环境）：",
    "share_accept": "接受邀请",
    "share_redirect": "接受后将跳转到：",
    # admin page (the panel itself is JupyterHub's React app, in English)
    "admin_title": "平台管理",
    "admin_note": "在此管理用户及其学习环境。下方管理面板来自 JupyterHub，暂为英文界面。",
    "admin_version": "JupyterHub 版本 {version}",
}

EN: dict[str, str] = {
    "html_lang": "en",
    "moment_locale": "en",
    "default_site_name": "Yiyuan",
    "tagline": "Arts Training and Learning Platform",
    "noscript": "This platform needs JavaScript. Please enable it and reload the page.",
    "close": "Close",
    "ok": "OK",
    "colon": ": ",
    "refresh": "Refresh",
    "back_home": "Back to home",
    "continue_link": "Continue",
    "never": "Never",
    "not_available": "N/A",
    "scope_applies_to": "Applies to {filter}.",
    "error_dialog_title": "Error",
    "error_dialog_body": "The action could not be completed.",
    "nav_home": "Home",
    "nav_my_learning": "My learning",
    "nav_change_password": "Change password",
    "nav_token": "Token",
    "nav_admin": "Admin",
    "nav_services": "Services",
    "nav_logout": "Logout",
    "nav_login": "Login",
    "nav_toggle": "Toggle navigation",
    "nav_dark_mode": "Toggle dark mode",
    "login_welcome": "Welcome to {site_name}",
    "login_username": "Username or mobile number",
    "login_password": "Password",
    "login_button": "Sign in",
    "login_show_password": "Show password",
    "login_hide_password": "Hide password",
    "login_with_service": "Sign in with {service}",
    "login_insecure_warning": (
        "Warning: this connection is not encrypted (HTTP) and passwords could be intercepted."
        " Please ask the administrator to enable HTTPS."
    ),
    "login_terms_before": "By signing in you accept the ",
    "login_terms_link": "terms of use",
    "login_terms_after": ".",
    "login_account_note": (
        "Accounts are created by the administrators. If you forgot your password,"
        " please contact your association or service centre."
    ),
    "login_failed": "Wrong username or password.",
    "login_throttled": (
        "Wrong username or password. Too many attempts: please try again later, or ask your"
        " association or the service centre for help."
    ),
    "account_inactive": (
        "This account has been deactivated. Please contact your association or service centre."
    ),
    "account_system_name": (
        "This user name is also a system account of the server and cannot log in."
        " Please contact an administrator."
    ),
    "sso_no_account": (
        "You signed in with single sign-on, but the platform has no active account for you."
        " Please contact your association or service centre."
    ),
    "password_changed": "Your password has been changed.",
    "password_mismatch": "The two new passwords do not match. Please enter them again.",
    "password_wrong_current": "The current password is not correct.",
    "password_too_short": "The new password must be at least {min_length} characters long.",
    "password_too_simple": (
        "The new password must contain at least two of: letters, digits, symbols."
    ),
    "password_same_as_username": "The new password must not be or contain your username.",
    "password_common": "This password is too common and easy to guess. Please choose another.",
    "password_must_change": "This is your first sign-in: please set your own password.",
    "password_reuse": "The new password must differ from the current one.",
    "change_password_title": "Change password",
    "change_password_current": "Current password",
    "change_password_new": "New password",
    "change_password_confirm": "New password again",
    "change_password_rules": "The new password must:",
    "change_password_rule_length": "be at least {min_length} characters long",
    "change_password_rule_mix": "contain at least two of: letters, digits, symbols",
    "change_password_rule_username": "not contain your username",
    "change_password_submit": "Save new password",
    "home_title": "Home",
    "home_welcome": "Hello, {name}!",
    "home_intro": "Use the button below to enter your learning environment.",
    "home_start": "Start my learning environment",
    "home_open": "Open my learning environment",
    "home_stop": "Stop my learning environment",
    "home_stopping": "Your learning environment is stopping",
    "home_named_servers": "Other learning environments",
    "home_named_servers_intro": (
        "Besides your default environment you can create named ones and run several at once."
    ),
    "home_named_servers_limit": (
        "Besides your default environment you can create up to {limit} named ones."
    ),
    "home_invalid_server_names": (
        "These environments have names that no longer meet the naming rules;"
        " please ask an administrator:"
    ),
    "home_col_name": "Name",
    "home_col_url": "URL",
    "home_col_activity": "Last used",
    "home_col_actions": "Actions",
    "home_new_server_label": "Name of the new environment",
    "home_new_server_placeholder": "name your environment",
    "home_add_server": "Add",
    "home_start_short": "start",
    "home_stop_short": "stop",
    "home_delete_short": "delete",
    "spawn_title": "Environment options",
    "spawn_heading": "Choose your learning environment",
    "spawn_for_user": "Starting a learning environment for {name}",
    "spawn_error": "Could not start: ",
    "spawn_submit": "Start",
    "spawn_pending_title": "Preparing",
    "spawn_pending_heading": "Preparing your learning environment…",
    "spawn_pending_redirect": "You will be taken there automatically when it is ready.",
    "spawn_pending_complete": "complete",
    "spawn_pending_log": "Progress details",
    "spawn_pending_help": (
        "If this takes more than a few minutes, reload the page; if it keeps failing,"
        " contact your association or service centre."
    ),
    "spawn_pending_cancel": "Cancel start",
    "spawn_pending_stopping": "Stopping…",
    "spawn_pending_stopped": "Stopped.",
    "spawn_pending_stop_error": "Could not stop.",
    "spawn_progress_requested": "Start requested",
    "spawn_progress_spawning": "Starting your learning environment…",
    "spawn_progress_ready": "Your learning environment is ready, opening…",
    "spawn_progress_failed": "Start failed",
    "spawn_progress_failed_detail": "Start failed: {detail}",
    "stop_pending_title": "Stopping",
    "stop_pending_heading": "Your learning environment is stopping…",
    "stop_pending_body": "You can start it again once it has stopped; this page reloads by itself.",
    "not_running_title": "Learning environment not running",
    "not_running_heading": "Your learning environment is not running",
    "not_running_body": "Your learning environment is not running at the moment.",
    "not_running_auto": (
        "It will be restarted automatically. If nothing happens in a few seconds,"
        " use the button below."
    ),
    "not_running_start": "Start learning environment",
    "not_running_failed_heading": "Your learning environment failed to start",
    "not_running_failed_body": "The last attempt to start your learning environment failed.",
    "not_running_failed_next": (
        "You can try again; if it still fails, contact your association or service centre"
        " and mention the error above."
    ),
    "not_running_retry": "Try starting again",
    "error_title": "Something went wrong",
    "error_title_400": "Bad request",
    "error_title_403": "Access denied",
    "error_title_404": "Page not found",
    "error_title_405": "Action not supported",
    "error_title_424": "Learning environment not running",
    "error_title_500": "Internal error",
    "error_title_502": "Service temporarily unavailable",
    "error_title_503": "Service temporarily unavailable",
    "error_code": "Error code {code}",
    "error_details": "Details (useful when you contact the staff):",
    "error_hint": (
        "Please go back to the home page and try again. If the problem persists,"
        " contact your association or service centre."
    ),
    "error_hint_server": (
        "The platform has a temporary problem. Please wait a moment and reload."
        " If the problem persists, contact your association or service centre."
    ),
    "error_hint_403": (
        "Your account may not open this page. If you need access, ask an administrator."
    ),
    "error_hint_404": (
        "The page you are looking for does not exist; the link may be wrong or the page"
        " removed. Please start again from the home page."
    ),
    "error_hint_503": (
        "Your learning environment may have stopped. Go back to the home page to start it again."
    ),
    "logout_title": "Signed out",
    "logout_heading": "You have signed out",
    "logout_body": "Thank you, and see you next time.",
    "logout_login_again": "Sign in again",
    "token_title": "Access tokens",
    "token_intro": (
        "Tokens let programs act for you on the platform (for example a script that submits"
        " assignments). Most learners never need one."
    ),
    "token_note_label": "Note",
    "token_note_placeholder": "what this token is for",
    "token_note_help": "The note helps you remember what each token is for.",
    "token_expires_label": "Expires in",
    "token_expires_help": "The token stops working when it expires.",
    "token_expires_hour": "1 hour",
    "token_expires_day": "1 day",
    "token_expires_week": "1 week",
    "token_expires_month": "1 month",
    "token_expires_year": "1 year",
    "token_expires_never": "Never",
    "token_expires_max_hours": "Maximum ({hours} hours)",
    "token_expires_max_days": "Maximum ({days} days)",
    "token_scopes_label": "Permissions",
    "token_scopes_placeholder": "scopes for the token, separated by spaces",
    "token_scopes_help": (
        "You can limit what the token may do; if you leave this empty it can do everything you can."
    ),
    "token_request": "Request new token",
    "token_new": "Your new token",
    "token_copy_now": (
        "Copy this token now and keep it safe: you will not be able to see it again,"
        " but you can always request a new one."
    ),
    "token_list_heading": "Your tokens",
    "token_list_intro": (
        "These tokens can use the platform's API. Revoking the token of a running learning"
        " environment means restarting that environment."
    ),
    "token_col_note": "Note",
    "token_col_scopes": "Permissions",
    "token_col_last_used": "Last used",
    "token_col_created": "Created",
    "token_col_expires": "Expires",
    "token_col_app": "Application",
    "token_col_first_authorized": "First authorized",
    "token_scopes_summary": "show permissions",
    "token_never_expires": "Never",
    "token_revoke": "revoke",
    "token_apps_heading": "Authorized applications",
    "token_apps_intro": (
        "These applications (mostly learning environments) use the platform to identify you;"
        " they generally cannot act on your behalf."
    ),
    "oauth_title": "Authorize access",
    "oauth_lead": "An application is asking for access to information about your account.",
    "oauth_client": "{client} (URL: {url}) would like to identify you.",
    "oauth_identify_only": "It will not be able to take actions on your behalf.",
    "oauth_grants": "This will grant the application permission to:",
    "oauth_required": "This permission is required",
    "oauth_authorize": "Authorize",
    "share_title": "Accept sharing invitation",
    "share_lead": "{owner} has invited you ({user}) to their learning environment",
    "share_server_name": " ({name})",
    "share_not_running": (
        "That learning environment is not running. After accepting, you may need to ask"
        " {owner} to start it before you can use it."
    ),
    "share_grants": ("By accepting you get the following permissions, for this environment only:"),
    "share_accept": "Accept invitation",
    "share_redirect": "After accepting you will be taken to:",
    "admin_title": "Administration",
    "admin_note": "Manage users and their learning environments. The panel below is"
    " JupyterHub's own and is in English.",
    "admin_version": "JupyterHub {version}",
}
