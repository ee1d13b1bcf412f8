"""The nbgrader exchange, Yiyuan's way: learners' and trainers' servers talk to the yiyuan
service over HTTP instead of sharing a world-writable folder.

This package runs inside single-user servers (and their kernels): it imports neither the
models nor the database layer. ``names`` and ``archives`` are shared with the service.
"""
