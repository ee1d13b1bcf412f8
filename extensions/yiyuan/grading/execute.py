"""nbgrader's Execute step with the limits a platform needs.

- ``notebook_timeout``: nbgrader's ``timeout`` is per cell; this bounds the whole notebook.
  Once it has passed, the running cell is interrupted and the cells after it are not run;
  each gets an error output, so its checks score 0 (a graded result, not a stuck job).
- ``execute_retries``: nbgrader 0.9.6 declares this option but never uses it. Here a kernel
  that fails to start (parallel workers race for ports) is retried that many times; a
  notebook that started running is never re-run.
- A kernel that dies while running (memory limit, ``os._exit``) fails the rest of the notebook
  the same way.
- ``sandbox``: when set (a :class:`~yiyuan.grading.sandbox.Sandbox`), the kernel starts in it.
- ``max_output_bytes``: output kept while the notebook runs; the rest is dropped as it arrives
  (a learner printing 100 MB must not fill the grader's memory nor reach the feedback).
"""

from __future__ import annotations

import copy
from time import monotonic

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Any, Integer

from ..i18n import get_catalogue

#: what the learner's feedback says about a check that did not run (no traceback)
NOT_RUN = "NotRun"
#: shown once in place of output that was dropped
OUTPUT_DROPPED = get_catalogue().grader_output_dropped


class KernelStartError(RuntimeError):
    """The kernel could not be started: the machinery's fault, worth retrying the job."""


class TimedExecute(Execute):
    notebook_timeout = Integer(
        120, help="Seconds the whole notebook may run; 0 means no limit beyond the per-cell one."
    ).tag(config=True)
    sandbox = Any(None, help="The Sandbox kernels run in (None: no sandbox).").tag(config=True)
    max_output_bytes = Integer(
        256 * 1024, help="Output kept per notebook while it runs; 0 means no limit."
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandbox is not None:
            from .sandbox import SandboxKernelManager

            self.kernel_manager_class = SandboxKernelManager
            self.config.SandboxKernelManager.sandbox = self.sandbox

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        self._output_bytes = 0
        self._output_dropped = False
        original = copy.deepcopy(nb)
        attempts = max(0, self.execute_retries) + 1
        for attempt in range(attempts):
            self._started = False
            self._stopped = ""
            self._deadline = monotonic() + self.notebook_timeout if self.notebook_timeout else None
            try:
                return super().preprocess(nb, resources, km)
            except Exception as error:
                if self._started:
                    raise
                self.log.warning("kernel start failed (attempt %d): %s", attempt + 1, error)
                if attempt + 1 == attempts:
                    raise KernelStartError(str(error)) from error
                nb = copy.deepcopy(original)
        raise AssertionError("unreachable")

    def timeout_func(self, cell: NotebookNode) -> int | None:  # nbclient's per-cell hook
        if self._deadline is None:
            return self.timeout
        left = max(1, int(self._deadline - monotonic() + 0.999))
        return min(left, self.timeout) if self.timeout and self.timeout > 0 else left

    def preprocess_cell(self, cell, resources, index):
        self._started = True
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._stopped:
            cell.outputs = [_not_run(self._stopped)]
            return cell, resources
        if self._deadline is not None and monotonic() >= self._deadline:
            self._stopped = "timeout"
            cell.outputs = [_not_run(self._stopped)]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._stopped = "dead"
            cell.outputs = [_not_run(self._stopped)]
        except CellTimeoutError:
            # no answer even after the interrupt: give up on this kernel
            self._stopped = "timeout"
            cell.outputs = [_not_run(self._stopped)]
        if self._deadline is not None and monotonic() >= self._deadline and not self._stopped:
            if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                self._stopped = "timeout"
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):  # nbclient's hook per output message
        if self.max_output_bytes:
            size = _size(msg.get("content", {}))
            if self._output_bytes + size > self.max_output_bytes:
                if not self._output_dropped:
                    self._output_dropped = True
                    outs.append(
                        NotebookNode(output_type="stream", name="stderr", text=OUTPUT_DROPPED)
                    )
                return None
            self._output_bytes += size
        return super().output(outs, msg, display_id, cell_index)


def _size(content: dict) -> int:
    """Bytes of what an output message would add to the notebook (roughly)."""
    if "text" in content:
        return len(content["text"])
    size = sum(len(str(value)) for value in content.get("data", {}).values())
    return size + sum(len(line) for line in content.get("traceback", []))


def _not_run(reason: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename=NOT_RUN,
        evalue=reason,
        traceback=[f"{NOT_RUN}: {reason}"],
    )
