"""What the yiyuan service's processes share while a person signs in.

The service runs as several processes behind one port (``service.processes``), and the hub's
OAuth redirect may come back to another process than the one that sent the person away: the
OAuth state (where to go afterwards, the PKCE verifier) is kept here, not in one process's
memory. A row lives for the few seconds of a sign-in; rows older than JupyterHub's state
lifetime are deleted as new ones are made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class OAuthState(Base):
    __tablename__ = "oauth_states"

    #: the state id JupyterHub's HubOAuth puts in the state cookie and the redirect
    state_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``next_url`` and ``code_verifier``, as HubOAuth keeps them
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
