"""The trainer workspace's queries: a course's progress per module, stuck learners, and who may
publish what. Read-only SQL aggregates; pages and APIs live in ``service/trainer_handlers.py``."""
