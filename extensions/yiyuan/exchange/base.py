"""The exchange classes' common base: the service client, local paths, Chinese failures.

Runs inside single-user servers: imports neither the models nor the database layer.
"""

from __future__ import annotations

import os
from typing import Any

from nbgrader.exchange import abc
from traitlets import Bool

from . import archives
from .client import ServiceClient, ServiceError
from .names import BadName, check_id


class Exchange(abc.Exchange):
    """Shared by the eight classes: the service client, local paths, Chinese failures."""

    path_includes_course = Bool(
        True,
        help="Put fetched modules in <assignment_dir>/<course>/<module> (True, the platform's "
        "layout: two courses never collide) or in <assignment_dir>/<module> (nbgrader's default).",
    ).tag(config=True)

    _client: ServiceClient | None = None

    @property
    def client(self) -> ServiceClient:
        if self._client is None:
            self._client = ServiceClient()
        return self._client

    def start(self) -> Any:
        try:
            return super().start()
        except (ServiceError, archives.ArchiveError, BadName) as error:
            self.fail(str(error))

    def course_id(self) -> str:
        course = self.coursedir.course_id
        if not course:
            self.fail("没有指定课程：请加上 --course=课程代码 再试。")
        return check_id(course, "课程代码")

    def assignment_id(self) -> str:
        return check_id(self.coursedir.assignment_id, "单元代码")

    def local_path(self, course_id: str, assignment_id: str) -> str:
        if self.path_includes_course:
            return os.path.abspath(os.path.join(self.assignment_dir, course_id, assignment_id))
        return os.path.abspath(os.path.join(self.assignment_dir, assignment_id))

    def find_assignment(self, course_id: str, assignment_id: str) -> dict | None:
        for item in self.client.assignments(course_id):
            if item["assignment_id"] == assignment_id:
                return item
        return None
