"""The audit log, for administrators: who published, graded and corrected what."""

from __future__ import annotations

routes: list = []
