"""``GET /services/yiyuan/metrics``: the grading queue's depth for autoscaling, in
Prometheus's text format (``grading/metrics.py``).

Not a hub-authenticated page: Prometheus (or an autoscaler) presents the bearer token of the
setting ``service.metrics_token`` (or ``YIYUAN_METRICS_TOKEN``). Without a token configured the
endpoint does not exist (404); a missing token is 401 and a wrong one 403, with a Chinese
message as every error of the service. The token never goes to the hub.
"""

from __future__ import annotations

import hmac
from typing import Any

from .. import __version__
from ..grading import metrics
from ..i18n import get_catalogue
from .base import ApiError, BaseHandler

words = get_catalogue()


class MetricsHandler(BaseHandler):
    async def prepare(self) -> None:
        """The token instead of the hub's login (nothing is asked of the hub)."""
        expected = self.settings_.service.metrics_token
        if not expected:
            raise ApiError(404, words.svc_http_404, "no-metrics")
        scheme, _, given = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, words.svc_metrics_token_missing, "no-token")
        if not hmac.compare_digest(given.strip().encode(), expected.encode()):
            raise ApiError(403, words.svc_metrics_token_wrong, "wrong-token")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 401:  # set here: tornado clears the headers before an error
            self.set_header("WWW-Authenticate", 'Bearer realm="yiyuan-metrics"')
        super().write_error(status_code, **kwargs)

    def get(self) -> None:
        text = metrics.exposition(self.session, __version__)
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.set_header("Cache-Control", "no-store")
        self.finish(text)


routes = [("metrics", MetricsHandler)]
