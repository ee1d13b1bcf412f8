"""The message centre (消息): a person's messages, newest first, and the unread count.

Both collect first (:func:`yiyuan.messages.collect.collect` for the caller only, a few
indexed queries): a result or a teacher's comment is there the moment the person looks,
without waiting for the messages service's next round.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tornado import web

from ..completion.progress import LOCAL_ZONE
from ..messages import inbox
from ..messages.collect import collect
from ..models import ROLE_LABELS
from .base import ApiError, ApiHandler, PageHandler

#: how each kind is marked in the list (words, not only a colour)
KIND_LABELS = {
    "passed": "通过",
    "failed": "未通过",
    "teacher-graded": "教师评阅",
    "grading-failed": "评分问题",
    "course-completed": "结业",
    "enrolled": "报名",
    "due-soon": "截止提醒",
    "due-tomorrow": "截止提醒",
}


def collect_for(handler) -> None:
    """Bring the caller's messages up to date (committed at once: the page reads them)."""
    settings = handler.application.settings["yiyuan_settings"]
    if collect(
        handler.session, account_id=handler.account.id, remind_days=settings.messages.remind_days
    ):
        handler.commit()


class MessagesPageHandler(PageHandler):
    page_title = "消息"

    @web.authenticated
    def get(self) -> None:
        account = self.account
        collect_for(self)
        messages = inbox.recent(self.session, account.id)
        unread = {m.id for m in messages if m.read_at is None}
        # seen now (this view still marks them 新); before rendering: render ends the request
        inbox.mark_read(self.session, account.id, sorted(unread))
        self.commit()
        self.set_header("Cache-Control", "no-store")
        self.render(
            "messages.html",
            account=account,
            roles=[ROLE_LABELS[r.role] for r in account.roles],
            prefix=self.application.settings["yiyuan_prefix"],
            messages=messages,
            unread=unread,
            labels=KIND_LABELS,
            zone=LOCAL_ZONE,
        )


class MessagesApiHandler(ApiHandler):
    """``GET``: the unread count and recent messages; ``POST {"read": [ids] | "all"}``."""

    @web.authenticated
    def get(self) -> None:
        account = self.account
        collect_for(self)
        messages = inbox.recent(self.session, account.id, limit=50)
        self.write_json(
            {
                "unread": inbox.unread_count(self.session, account.id),
                "messages": [
                    {
                        "id": m.id,
                        "kind": m.kind,
                        "title": m.title,
                        "body": m.body,
                        "link": m.link,
                        "at": m.created_at.astimezone(UTC).isoformat(),
                        "read": m.read_at is not None,
                    }
                    for m in messages
                ],
            }
        )

    @web.authenticated
    def post(self) -> None:
        wanted = self.json_body().get("read")
        if wanted == "all":
            ids = None
        elif isinstance(wanted, list) and all(
            isinstance(i, int) and not isinstance(i, bool) for i in wanted
        ):
            ids = wanted
        else:
            raise ApiError(400, '请用 {"read": [消息编号…]} 或 {"read": "all"} 标记已读。')
        # only the caller's own messages: another person's ids mark nothing
        marked = inbox.mark_read(self.session, self.account.id, ids, datetime.now(UTC))
        self.commit()
        self.write_json(
            {"marked": marked, "unread": inbox.unread_count(self.session, self.account.id)}
        )


routes = [
    ("messages", MessagesPageHandler),
    ("api/me/messages", MessagesApiHandler),
]
