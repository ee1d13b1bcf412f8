"""The page a user sees when too many servers are starting at once (HTTP 429 from
``JupyterHub.concurrent_spawn_limit``): a calm「请稍候」that tries again by itself, instead of
JupyterHub's English "Too many users trying to log in right now".

The texts are handed to the templates as ``spawn_queue`` (``hub_config.hub``); error.html uses
them for status 429. They live here, next to the one page that uses them, in every language
the catalogue (``yiyuan.i18n``) has.
"""

from __future__ import annotations

import time

WAITING_TEXTS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "正在排队进入学习环境",
        "body": "此刻进入学习环境的学员较多，平台正在依次为大家启动。"
        "请不要关闭本页，它会自动重试，轮到您时直接进入课件。",
        "countdown": "{seconds} 秒后自动重试",
        "retry_now": "立即重试",
        "ahead": "排在您前面的还有 {ahead} 位学员。",
        "next": "下一个就轮到您。",
    },
    "en": {
        "title": "Waiting for your turn",
        "body": "Many learners are starting their study environment right now; the platform "
        "starts them in turn. Keep this page open: it tries again by itself.",
        "countdown": "Trying again in {seconds} s",
        "retry_now": "Try again now",
        "ahead": "{ahead} learners are ahead of you.",
        "next": "You are next.",
    },
}


def waiting_texts(language: str) -> dict[str, str]:
    return dict(WAITING_TEXTS.get(language, WAITING_TEXTS["zh_CN"]))


class SpawnQueue:
    """Who is waiting for a server, in the order they were first turned away (the hub's one
    process keeps it; error.html asks it for the place it shows).

    JupyterHub has no queue: whoever asks first once a start finishes gets the slot. The page
    therefore retries sooner the nearer the front a person is (error.html), which keeps the
    order close to first come, first served. Someone who stopped waiting (the page closed)
    leaves the queue after ``forget_after`` seconds without asking again; someone whose
    server starts leaves it at once (:meth:`leave`, from the spawner's hook).
    """

    def __init__(self, forget_after: float = 60.0, clock=time.monotonic) -> None:
        self.forget_after = forget_after
        self._clock = clock
        self._first: dict[str, float] = {}
        self._seen: dict[str, float] = {}

    def place(self, name: str) -> int:
        """``name``'s place (1 = next), joining the queue at the first call."""
        now = self._clock()
        for other, seen in list(self._seen.items()):
            if now - seen > self.forget_after:
                self.leave(other)
        self._first.setdefault(name, now)
        self._seen[name] = now
        ahead = sum(1 for other, t in self._first.items() if (t, other) < (self._first[name], name))
        return ahead + 1

    def leave(self, name: str) -> None:
        self._first.pop(name, None)
        self._seen.pop(name, None)


#: the hub's queue (one hub process: module state is the hub's state)
SPAWN_QUEUE = SpawnQueue()
