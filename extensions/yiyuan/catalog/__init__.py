"""The catalogue: publishing courses from their sources, releases of modules, enrolment."""
