"""Signing in to the service through the hub (OAuth), whichever process answers.

JupyterHub's ``HubOAuth`` keeps each sign-in's state (where to go afterwards, the PKCE
verifier) in the memory of the process that sent the person to the hub; the hub's redirect
back may reach another of the service's processes (``service.processes``), which would then
refuse it. Here the state lives in the platform database (``OAuthState``), and the cookie
secret is the same in every process: derived from the service's hub token when there is one.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import timedelta

from jupyterhub.services.auth import HubOAuth
from sqlalchemy import delete
from traitlets import Any

from ..models import OAuthState, utcnow


class SharedStateHubOAuth(HubOAuth):
    #: the platform :class:`~yiyuan.db.Database`
    database = Any()

    def generate_state(self, next_url=None, **extra_state):
        state_id = secrets.token_urlsafe(16)
        now = utcnow()
        with self.database.session() as session:
            session.execute(delete(OAuthState).where(OAuthState.created_at < now - self._max_age))
            session.add(OAuthState(state_id=state_id, data={"next_url": next_url, **extra_state}))
        return state_id

    def _decode_state(self, state_id="", /):
        if not state_id:
            return {}
        with self.database.session() as session:
            row = session.get(OAuthState, state_id)
            if row is None or row.created_at < utcnow() - self._max_age:
                return {}
            return dict(row.data)

    def get_next_url(self, state_id="", /):
        return self._decode_state(state_id).get("next_url") or self.base_url

    def get_code_verifier(self, state_id="", /):
        return self._decode_state(state_id).get("code_verifier")

    def clear_oauth_state(self, state_id):
        with self.database.session() as session:
            session.execute(delete(OAuthState).where(OAuthState.state_id == state_id))

    @property
    def _max_age(self) -> timedelta:
        return timedelta(seconds=self.oauth_state_max_age)


def cookie_secret(api_token: str) -> bytes:
    """The same in every process of the service (and across its restarts with the hub's
    token): secure cookies set by one process are read by another."""
    if not api_token:
        return os.urandom(32)
    return hmac.new(api_token.encode(), b"yiyuan service cookies", hashlib.sha256).digest()
