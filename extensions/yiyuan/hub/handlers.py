"""Hub pages the platform adds: the login redirect for first logins, and password change."""

from __future__ import annotations

import asyncio

from jupyterhub.handlers.base import BaseHandler
from jupyterhub.handlers.login import LoginHandler
from tornado import web
from tornado.escape import url_escape
from tornado.httputil import url_concat

from ..accounts import service
from .landing import landing_url


class YiyuanLoginHandler(LoginHandler):
    """JupyterHub's login page, sending first-time users to set their own password first."""

    def get_next_url(self, user=None, default=None):
        # learners land on「我的学习」unless they were on their way somewhere (?next=)
        default = default or landing_url(self.base_url, user) or None
        next_url = super().get_next_url(user, default)
        if user is not None and self.authenticator.must_change_password(user.name):
            return url_concat(self.hub.base_url + "change-password", {"next": next_url})
        return next_url


class ChangePasswordHandler(BaseHandler):
    """``/hub/change-password``: a logged-in user sets a new password."""

    @web.authenticated
    async def get(self):
        self.finish(await self._render())

    @web.authenticated
    async def post(self):
        authenticator = self.authenticator
        current = self.get_body_argument("current_password", default="")
        new = self.get_body_argument("new_password", default="")
        confirm = self.get_body_argument("confirm_password", default="")
        catalogue = authenticator.catalogue
        if new != confirm:
            self.set_status(400)
            return self.finish(await self._render(error=catalogue["password_mismatch"]))

        def change():
            with authenticator.database.session() as session:
                return service.change_password(
                    session,
                    self.current_user.name,
                    current,
                    new,
                    authenticator.min_password_length,
                )

        problems = await asyncio.to_thread(change)
        if problems:
            self.set_status(400)
            error = " ".join(catalogue.format(p.key, **p.params) for p in problems)
            return self.finish(await self._render(error=error))
        self.log.info("Password changed by %s", self.current_user.name)
        next_url = self.get_next_url(self.current_user)
        self.finish(
            await self._render(message=catalogue["password_changed"], continue_url=next_url)
        )

    async def _render(self, error=None, message=None, continue_url=None):
        user = self.current_user
        return await self.render_template(
            "change_password.html",
            xsrf=self.xsrf_token.decode("ascii"),
            next=url_escape(self.get_argument("next", default="")),
            error=error,
            message=message,
            continue_url=continue_url,
            forced=self.authenticator.must_change_password(user.name),
            min_length=self.authenticator.min_password_length,
        )
