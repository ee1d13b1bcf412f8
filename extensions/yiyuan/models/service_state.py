"""What the yiyuan service's processes share: sign-ins under way and request counts.

The service runs as several processes behind one port (``service.processes``), and the hub's
OAuth redirect may come back to another process than the one that sent the person away: the
OAuth state (where to go afterwards, the PKCE verifier) is kept here, not in one process's
memory. A row lives for the few seconds of a sign-in; rows older than JupyterHub's state
lifetime are deleted as new ones are made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class OAuthState(Base):
    __tablename__ = "oauth_states"

    #: the state id JupyterHub's HubOAuth puts in the state cookie and the redirect
    state_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``next_url`` and ``code_verifier``, as HubOAuth keeps them
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RequestCount(Base):
    """Requests one address made to a rate-limited page in one minute (the verify page).

    Kept in the database so that every process of the service, and every replica, counts the
    same; rows of past minutes are deleted as new minutes begin.
    """

    __tablename__ = "request_counts"

    #: what is limited and for whom, e.g. ``verify:203.0.113.7``
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    #: the minute counted (its start)
    minute: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
