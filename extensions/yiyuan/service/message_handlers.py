"""The message centre (消息): a person's messages, newest first, and the unread count.

Both collect first (:func:`yiyuan.messages.collect.collect` for the caller only, a few
indexed queries): a result or a teacher's comment is there the moment the person looks,
without waiting for the messages service's next round.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tornado import web

from ..clock import local_zone
from ..i18n import get_catalogue
from ..messages import inbox
from ..messages.collect import collect
from ..models import ROLE_LABELS
from .base import ApiError, ApiHandler, PageHandler

words = get_catalogue()

#: how each kind is marked in the list (words, not only a colour)
KIND_LABELS = {
    "passed": words.svc_message_passed,
    "failed": words.svc_message_failed,
    "teacher-graded": words.svc_message_teacher_graded,
    "grading-failed": words.svc_message_grading_failed,
    "course-completed": words.svc_message_completed,
    "enrolled": words.svc_message_enrolled,
    "due-soon": words.svc_message_due,
    "due-tomorrow": words.svc_message_due,
}


def collect_for(handler) -> None:
    """Bring the caller's messages up to date (committed at once: the page reads them)."""
    settings = handler.settings_
    if collect(
        handler.session, account_id=handler.account.id, remind_days=settings.messages.remind_days
    ):
        handler.commit()


class MessagesPageHandler(PageHandler):
    page_title = words.svc_title_messages

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
            prefix=self.prefix,
            messages=messages,
            unread=unread,
            labels=KIND_LABELS,
            zone=local_zone(),
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
            raise ApiError(400, words.format("svc_mark_read_usage"))
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
