"""On-site teaching (现场教学): the sessions of on-site modules, the trainer's roster, and
check-in codes learners enter in the portal.

- :mod:`.sessions`: sessions from the manifest at publish, who may run a session;
- :mod:`.attendance`: the roster of a session and recording it (audited);
- :mod:`.checkin`: opening and closing a code, a learner checking in with it.

Attendance itself is written by :func:`yiyuan.completion.engine.record_attendance`, so results,
study hours and rollups follow from every path.
"""

from __future__ import annotations

from ..errors import YiyuanError


class OnsiteError(YiyuanError):
    """A request about an on-site session that cannot be carried out; ``status`` is the HTTP
    status the service answers with, ``code`` a stable machine-readable reason."""

    def __init__(self, message: str, status: int = 400, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
