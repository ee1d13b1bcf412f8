"""A person's own display preferences, kept on their account (``accounts.large_text``) so that
every page shows them from the first paint, on any device they log in from.

- ``api/me/preferences``: GET the caller's preferences; POST ``{"large_text": true}`` changes
  them. Only the caller's own: there is no way to name another person.
"""

from __future__ import annotations

from tornado import web

from .base import ApiError, ApiHandler

#: what a person may set, and what each is called in a message
PREFERENCES = {"large_text": "大字（large_text）"}


def preferences_of(account) -> dict:
    return {"large_text": bool(account.large_text)}


class PreferencesHandler(ApiHandler):
    @web.authenticated
    def get(self) -> None:
        self.write_json(preferences_of(self.account))

    @web.authenticated
    def post(self) -> None:
        body = self.json_body()
        unknown = sorted(set(body) - set(PREFERENCES))
        if unknown:
            raise ApiError(
                400,
                f"不能设置“{'、'.join(unknown)[:80]}”：可以设置的只有"
                f"{'、'.join(PREFERENCES.values())}。",
                "bad-preference",
            )
        if "large_text" not in body:
            raise ApiError(
                400, '请求中没有要改的设置，例如 {"large_text": true}。', "no-preference"
            )
        wanted = body["large_text"]
        if not isinstance(wanted, bool):
            raise ApiError(400, "大字（large_text）只能是 true 或 false。", "bad-preference")
        account = self.account
        account.large_text = wanted
        self.commit()
        message = "已改为大字，每次登录都会保持。" if wanted else "已恢复标准字号。"
        self.write_json({**preferences_of(account), "message": message})


routes = [("api/me/preferences", PreferencesHandler)]
