"""Someone logged in to a test hub, calling the yiyuan service with their own hub token (what
their single-user server would use), and the learner's round trip: fetch, answer, submit."""

from __future__ import annotations

import json
import time

import requests

from hubtest import Hub
from yiyuan.demo import DEMO_PASSWORD
from yiyuan.exchange import archives


class Person:
    def __init__(self, hub: Hub, username: str) -> None:
        browser = hub.browser()
        assert browser.login(username, DEMO_PASSWORD).ok
        self.username = username
        self.browser = browser
        self.base = f"{hub.url}/services/yiyuan/"
        self.headers = {"Authorization": f"token {browser.token()}"}

    def call(
        self, method: str, path: str, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        """The service's ``path`` with this person's token (publishing may take a while)."""
        headers = {**self.headers, **(headers or {})}
        return requests.request(method, self.base + path, headers=headers, timeout=180, **kwargs)

    def submit_module(self, tmp_path, course: str, module: str, answers: dict, edit=None) -> int:
        """Fetch the module's release, write ``answers`` (question id → answer) beside it,
        let ``edit(folder)`` change the notebooks as a learner would, and submit it; the
        submission's id."""
        release = self.call("GET", f"api/exchange/release/{course}/{module}")
        assert release.status_code == 200, release.text
        folder = tmp_path / self.username / module
        archives.unpack(release.content, folder, 10**8)
        data = {"version": 1, "answers": answers}
        (folder / "answers.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        # a forged clock: the service must ignore it
        (folder / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
        if edit is not None:
            edit(folder)
        response = self.call(
            "POST", f"api/exchange/submissions/{course}/{module}", data=archives.pack(folder)
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def wait_for_result(self, submission_id: int, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.call("GET", f"api/submissions/{submission_id}").json()
            if state["grading"] in ("done", "failed") and state["result"]:
                if state["result"]["status"] != "submitted" or state["grading"] == "failed":
                    return state
            time.sleep(0.5)
        raise AssertionError(f"submission {submission_id} not graded in {timeout} s: {state}")

    def module_state(self, course: str, module: str) -> dict:
        courses = self.call("GET", "api/me/courses").json()["courses"]
        found = next(c for c in courses if c["code"] == course)
        return next(m for m in found["modules"] if m["code"] == module)
