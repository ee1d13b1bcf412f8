"""Sandbox slots are claimed per machine: two grading processes on one host never run their
kernels under the same uid (whose process limit they would share), whatever slot their pools
numbered them (yiyuan.grading.sandbox.claim_slot)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

from yiyuan.grading import sandbox
from yiyuan.grading.sandbox import SandboxError, claim_slot
from yiyuan.settings import GradingSettings

CLAIM = (
    "import sys; from yiyuan.grading.sandbox import claim_slot;"
    "from yiyuan.settings import GradingSettings;"
    "print(claim_slot(GradingSettings(sandbox_uid=int(sys.argv[1])), int(sys.argv[2])))"
)


@pytest.fixture
def grading(tmp_path, monkeypatch):
    """A uid range of its own (no real grader's) and lock files in a folder of the test."""
    monkeypatch.setattr(sandbox.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(sandbox, "_held", {})
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    return GradingSettings(sandbox_uid=71000)


def claim_elsewhere(grading: GradingSettings, preferred: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", CLAIM, str(grading.sandbox_uid), str(preferred)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_a_process_keeps_the_slot_it_claimed(grading):
    assert claim_slot(grading, 3) == 3
    # a later call (every job of the worker) gets the same, whatever it prefers
    assert claim_slot(grading, 5) == 3


def test_another_process_gets_another_slot_while_one_is_held(grading):
    assert claim_slot(grading, 0) == 0
    assert claim_elsewhere(grading, 0) == 1
    # that process has ended: its slot is free again
    assert claim_elsewhere(grading, 1) == 1


def _claim_in_child(grading, queue):
    queue.put(claim_slot(grading, 0))


def test_a_forked_child_claims_its_own(grading):
    assert claim_slot(grading, 0) == 0
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_claim_in_child, args=(grading, queue))
    child.start()
    child.join(60)
    assert queue.get(timeout=5) == 1


def test_a_full_machine_says_so_in_chinese(grading, monkeypatch):
    monkeypatch.setattr(sandbox, "HOST_SLOTS", 2)
    assert claim_slot(grading, 0) == 0
    assert claim_elsewhere(grading, 0) == 1  # slot 1 is free (the child held it and ended)
    held = sandbox._held.pop(grading.sandbox_uid)  # as if another process held slot 0 …
    monkeypatch.setattr(sandbox, "_held", {})
    holder = sandbox._lock_file(grading.sandbox_uid + 1)  # … and another slot 1
    sandbox.fcntl.flock(holder, sandbox.fcntl.LOCK_EX)
    try:
        with pytest.raises(SandboxError, match="沙箱编号"):
            claim_slot(grading, 0)
    finally:
        holder.close()
        held[2].close()
