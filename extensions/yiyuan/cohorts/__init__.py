"""Training programmes (培训项目) and cohorts (期次): create, enrol by rule or by hand, close.

One code path for the ``yiyuan programmes`` / ``yiyuan cohorts`` commands and the
administrator's web pages; every change is audited in the same transaction. What a cohort
produces (its members, its courses' enrolments) is what the participation reports count.
"""

from .cohorts import (
    add_members,
    close_cohort,
    create_cohort,
    enrol_by_rule,
    get_cohort,
    preview_rule,
    rule_targets,
    update_cohort,
)
from .common import CohortClosed, CohortError, CohortNotFound
from .figures import cohort_detail, cohort_summary
from .programmes import create_programme, get_programme, list_programmes, update_programme

__all__ = [
    "CohortClosed",
    "CohortError",
    "CohortNotFound",
    "add_members",
    "close_cohort",
    "cohort_detail",
    "cohort_summary",
    "create_cohort",
    "create_programme",
    "enrol_by_rule",
    "get_cohort",
    "get_programme",
    "list_programmes",
    "preview_rule",
    "rule_targets",
    "update_cohort",
    "update_programme",
]
