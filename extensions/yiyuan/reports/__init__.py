"""Reports: participation by association, course and cohort (issue 7).

Aggregations run in the database (GROUP BY, never loops over rows) and return plain
:class:`~yiyuan.reports.table.Table` objects shared by the dashboards, the CLI and the API.
Every function takes the viewer's :class:`~yiyuan.reports.scope.Scope`: what a viewer may see
is decided here, from their hub identity, never by the page that shows it.
"""
