"""The page a user sees when too many servers are starting at once (HTTP 429 from
``JupyterHub.concurrent_spawn_limit``): a calm「请稍候」that tries again by itself, instead of
JupyterHub's English "Too many users trying to log in right now".

The texts are handed to the templates as ``spawn_queue`` (``hub_config.hub``); error.html uses
them for status 429. They live here, next to the one page that uses them, in every language
the catalogue (``yiyuan.i18n``) has.
"""

from __future__ import annotations

WAITING_TEXTS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "正在排队进入学习环境",
        "body": "此刻进入学习环境的学员较多，平台正在依次为大家启动。"
        "请不要关闭本页，它会自动重试，轮到您时直接进入课件。",
        "countdown": "{seconds} 秒后自动重试",
        "retry_now": "立即重试",
    },
    "en": {
        "title": "Waiting for your turn",
        "body": "Many learners are starting their study environment right now; the platform "
        "starts them in turn. Keep this page open: it tries again by itself.",
        "countdown": "Trying again in {seconds} s",
        "retry_now": "Try again now",
    },
}


def waiting_texts(language: str) -> dict[str, str]:
    return dict(WAITING_TEXTS.get(language, WAITING_TEXTS["zh_CN"]))
