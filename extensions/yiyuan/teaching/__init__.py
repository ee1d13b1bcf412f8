"""The trainer workspace's queries: a course's progress per module and stuck learners.
Read-only SQL aggregates; who may publish what is the catalogue's (``catalog/rights.py``); pages
and APIs live in ``service/trainer_handlers.py``."""
