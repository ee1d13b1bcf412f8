"""On-site sessions: the trainer's roster and check-in codes, the learner's check-in."""

from __future__ import annotations

routes: list = []
