"""The trainer workspace: my courses, progress per module, stuck learners, publishing."""

from __future__ import annotations

routes: list = []
