"""Known clients: browsers that have logged in to an account with its password.

After a successful login the hub gives the browser a long-lived random token in a cookie
(OWASP's "device cookie"); the database keeps only its SHA-256 per account. A later login
from that browser is counted on its own (login.py), so a stranger hammering the account from
elsewhere never keeps the owner out.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import KnownClient

#: the hub's cookie (path /hub/, HttpOnly)
COOKIE = "yiyuan-device"
#: tokens are 43 characters; anything much longer is not one of ours
_MAX_TOKEN = 100


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def usable_token(token: str | None) -> str:
    """The cookie's token, or "" when there is none or it cannot be one of ours."""
    token = (token or "").strip()
    return token if 20 <= len(token) <= _MAX_TOKEN else ""


def find(session: Session, account_id: int, token: str) -> KnownClient | None:
    if not token:
        return None
    return session.scalar(
        select(KnownClient).where(
            KnownClient.account_id == account_id,
            KnownClient.token_hash == token_hash(token),
        )
    )


def is_known(session: Session, account_id: int, token: str, days: int, now: datetime) -> bool:
    """Has this browser logged in to the account within the last ``days`` days?"""
    client = find(session, account_id, token)
    return client is not None and now - client.last_login_at < timedelta(days=days)


def remember(session: Session, account_id: int, token: str, address: str, now: datetime) -> None:
    """Record a successful login from the browser holding ``token``."""
    client = find(session, account_id, token)
    if client is None:
        try:
            with session.begin_nested():  # the same browser logging in twice at once
                session.add(
                    KnownClient(
                        account_id=account_id,
                        token_hash=token_hash(token),
                        first_login_at=now,
                        last_login_at=now,
                        last_address=address[:64],
                    )
                )
            return
        except IntegrityError:
            client = find(session, account_id, token)
            assert client is not None
    client.last_login_at = now
    client.last_address = address[:64]
