"""A person's own display preferences, kept on their account (``accounts.large_text``) so that
every page shows them from the first paint, on any device they log in from.

- ``api/me/preferences``: GET the caller's preferences; POST ``{"large_text": true}`` changes
  them. Only the caller's own: there is no way to name another person.
"""

from __future__ import annotations

from tornado import web

from ..i18n import get_catalogue
from .base import ApiError, ApiHandler

words = get_catalogue()

#: what a person may set, and what each is called in a message
PREFERENCES = {"large_text": words.svc_preference_large_text}


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
                words.format(
                    "svc_preference_unknown",
                    unknown=words.svc_list_separator.join(unknown)[:80],
                    known=words.svc_list_separator.join(PREFERENCES.values()),
                ),
                "bad-preference",
            )
        if "large_text" not in body:
            raise ApiError(400, words.format("svc_preference_missing"), "no-preference")
        wanted = body["large_text"]
        if not isinstance(wanted, bool):
            raise ApiError(400, words.svc_preference_not_bool, "bad-preference")
        account = self.account
        account.large_text = wanted
        self.commit()
        message = words.svc_large_text_on if wanted else words.svc_large_text_off
        self.write_json({**preferences_of(account), "message": message})


routes = [("api/me/preferences", PreferencesHandler)]
