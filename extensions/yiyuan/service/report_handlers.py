"""The participation reports as JSON: the same tables as the dashboards and the CLI, scoped by
the caller's hub identity (administrators everything, managers their associations, trainers
their courses; learners 403)."""

from __future__ import annotations

from tornado import web

from ..reports import participation
from ..reports.filters import BadFilter, parse_filter
from ..reports.scope import ReportAccessDenied, scope_of
from .base import ApiError, ApiHandler

REPORTS = {
    "by-association": participation.by_association,
    "by-course": participation.by_course,
    "by-cohort": participation.by_cohort,
    "weekly-trend": participation.weekly_trend,
    "laggards": participation.laggards,
}


class ReportHandler(ApiHandler):
    @web.authenticated
    def get(self, name: str) -> None:
        try:
            scope = scope_of(self.session, self.account)
        except ReportAccessDenied as error:
            raise ApiError(403, str(error), "not-a-viewer") from None
        try:
            filters = parse_filter(
                associations=self.get_argument("association", ""),
                courses=self.get_argument("course", ""),
                cohorts=self.get_argument("cohort", ""),
                programmes=self.get_argument("programme", ""),
                standings=self.get_argument("standing", ""),
                date_from=self.get_argument("from", None),
                date_to=self.get_argument("to", None),
            )
            table = REPORTS[name](self.session, scope, filters)
        except BadFilter as error:
            raise ApiError(400, str(error), "bad-filter") from None
        self.write_json(table.as_dict())


routes = [(r"api/reports/(" + "|".join(REPORTS) + ")", ReportHandler)]
