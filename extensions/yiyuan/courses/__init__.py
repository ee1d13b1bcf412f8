"""Courses: manifests (courses/<id>.yml), their lesson notebooks, and the checker."""
