"""The completion engine: module results from grades and attendance, course completion,
the study-hours ledger (学时) and the events the reports and timelines read."""
