"""The grading queue as Prometheus metrics, for scaling the grading workers on its depth.

The yiyuan service answers them at ``/services/yiyuan/metrics`` (``service/metrics_handlers``)
in Prometheus's text format (version 0.0.4). Every figure is read from the database when
asked, so every process and replica of the service answers the same: a Kubernetes
HorizontalPodAutoscaler (through a metrics adapter) or KEDA's Prometheus scaler can scale the
workers' Deployment on ``yiyuan_grading_jobs{state="queued"}`` or on how long the oldest job has
waited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import GradingJob, JobState, utcnow
from . import queue

#: what Prometheus is told the body is
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def oldest_queued_seconds(session: Session, now: datetime | None = None) -> float:
    """Seconds the oldest queued job has waited since it was queued (0 when none waits)."""
    oldest = session.scalar(
        select(func.min(GradingJob.queued_at)).where(GradingJob.state == JobState.queued)
    )
    if oldest is None:
        return 0.0
    return max(0.0, ((now or utcnow()) - oldest).total_seconds())


def exposition(session: Session, version: str, now: datetime | None = None) -> str:
    """The metrics as Prometheus's text format."""
    lines = [
        *_gauge("yiyuan_up", "1 while the yiyuan service answers and reads its database."),
        "yiyuan_up 1",
        *_gauge("yiyuan_info", "The yiyuan service's version (the value is always 1)."),
        f'yiyuan_info{{version="{_label(version)}"}} 1',
        *_gauge("yiyuan_grading_jobs", "Grading jobs in each state (one job per submission)."),
        *(
            f'yiyuan_grading_jobs{{state="{state}"}} {count}'
            for state, count in queue.status(session).items()
        ),
        *_gauge(
            "yiyuan_grading_oldest_queued_seconds",
            "Seconds the oldest queued grading job has waited; 0 when none is queued.",
        ),
        f"yiyuan_grading_oldest_queued_seconds {oldest_queued_seconds(session, now):.3f}",
    ]
    return "\n".join(lines) + "\n"


def _gauge(name: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
