"""The grading sandbox: every kernel that runs a learner's code runs inside bubblewrap.

What a sandboxed kernel has (and nothing else):

- **identity**: its own uid (``grading.sandbox_uid`` + the worker's slot), no groups, no
  capabilities, ``no_new_privs`` (setuid programs in /usr stay powerless). A worker that is not
  root cannot switch uids: the kernel then runs in a user namespace of the worker's uid.
- **environment**: a fixed, short list (no hub or service token, no database URL, no settings
  path): :func:`kernel_environment`.
- **network**: none (a network namespace of its own holding only an unconfigured loopback).
  The grader talks to the kernel over jupyter_client's ``ipc`` transport: Unix sockets in a
  private folder bound into the sandbox.
- **files**: /usr (read-only), the Python installation and the platform's code (read-only), the
  module's release (read-only), a *copy* of the working folder (read-write, thrown away after:
  nothing the kernel writes reaches the grader's files), a home folder and a small /tmp. No data
  directory, no secrets, no homes, no other submissions.
- **limits** (prlimit): memory (address space), CPU seconds, processes (per uid: a fork bomb
  stops at the limit), open files, file size, no core dumps; and a pid namespace, so that
  stopping the kernel (SIGKILL to bubblewrap) ends every process it started.

The same :class:`SandboxKernelManager` serves any ``nbclient`` execution of untrusted
notebooks: set it as the client's ``kernel_manager_class`` with a :class:`Sandbox` in
``config.SandboxKernelManager.sandbox``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any as AnyTrait

from ..errors import YiyuanError
from ..settings import GradingSettings

BWRAP = "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PRLIMIT = "/usr/bin/prlimit"

#: /etc entries a Python kernel needs (fonts for charts, the dynamic linker's cache, time zone)
ETC = ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime", "/etc/mime.types")
#: the variables a kernel gets from the grader's environment, when set
PASSED_ON = ("NBGRADER_EXECUTION", "LANG", "LC_ALL", "TZ")
#: size of the kernel's /tmp (a tmpfs: memory)
TMP_SIZE = 64 * 1024 * 1024
#: largest working folder copied into the sandbox (a release is checked at 200 MB already)
MAX_COPY = 512 * 1024 * 1024


class SandboxError(YiyuanError):
    """The sandbox cannot be used on this machine (Chinese message saying what to do)."""


@dataclass(frozen=True)
class Sandbox:
    """How one worker sandboxes its kernels."""

    uid: int
    memory_mb: int = 1024
    cpu_seconds: int = 180
    processes: int = 64
    open_files: int = 512
    file_mb: int = 64
    #: folders the kernel may read (besides /usr, Python and the platform's code)
    readonly: tuple[str, ...] = ()

    @classmethod
    def for_worker(cls, grading: GradingSettings, slot: int, readonly=()) -> Sandbox:
        return cls(
            uid=grading.sandbox_uid + slot,
            memory_mb=grading.kernel_memory_mb,
            # CPU time is a backstop: the notebook's own timeout stops it first
            cpu_seconds=grading.timeout + 60,
            processes=grading.kernel_processes,
            file_mb=grading.kernel_file_mb,
            readonly=tuple(str(p) for p in readonly),
        )

    @property
    def switches_uid(self) -> bool:
        """Root drops the kernel to ``uid``; any other worker uses a user namespace."""
        return os.geteuid() == 0


def python_paths() -> list[str]:
    """What a kernel needs to import: the Python installation, the virtual environment, and
    the folders of packages installed in development mode (this platform's own code)."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    # `pip install -e extensions`: the package lives outside the venv
    paths.add(str(Path(__file__).resolve().parents[1]))
    return sorted(p for p in paths if not p.startswith("/usr/"))


def kernel_environment(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel."""
    environment = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "USER": "learner",
        "LOGNAME": "learner",
        "LANG": "C.UTF-8",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
        "IPYTHONDIR": f"{home}/.ipython",
        "JUPYTER_RUNTIME_DIR": f"{home}/.runtime",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    environment.update({k: os.environ[k] for k in PASSED_ON if k in os.environ})
    environment.update(extra or {})
    return environment


def limits(sandbox: Sandbox) -> list[str]:
    mb = 1024 * 1024
    return [
        PRLIMIT,
        f"--as={sandbox.memory_mb * mb}",
        f"--cpu={sandbox.cpu_seconds}",
        f"--nproc={sandbox.processes}",
        f"--nofile={sandbox.open_files}",
        f"--fsize={sandbox.file_mb * mb}",
        "--core=0",
        "--",
    ]


def bwrap_command(
    sandbox: Sandbox,
    command: list[str],
    *,
    scratch: str,
    home: str,
    sockets: str,
    inner_workdir: str,
) -> list[str]:
    """The command line that runs ``command`` sandboxed. ``scratch`` (a copy of the working
    folder), ``home`` and ``sockets`` are host folders the kernel's uid owns; ``scratch`` is
    seen inside as ``inner_workdir`` (the path the notebook expects). The kernel's whole
    environment is set here (whatever the launcher passes is cleared)."""
    args = [BWRAP, "--clearenv"]
    for name, value in kernel_environment(home).items():
        args += ["--setenv", name, value]
    args += [
        "--die-with-parent",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--symlink",
        "usr/lib",
        "/lib",
    ]
    if os.path.isdir("/usr/lib64"):
        args += ["--symlink", "usr/lib64", "/lib64"]
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(TMP_SIZE),
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(TMP_SIZE),
        "--tmpfs",
        "/dev/shm",
    ]
    readonly = [*(p for p in ETC if os.path.exists(p)), *python_paths(), *sandbox.readonly]
    # bubblewrap makes missing parent folders 0700 (root's): the kernel's uid could not pass
    for folder in _parents([*readonly, sockets, home, inner_workdir]):
        args += ["--perms", "0755", "--dir", folder]
    for path in readonly:
        args += ["--ro-bind", path, path]
    args += [
        "--bind",
        sockets,
        sockets,
        "--bind",
        home,
        home,
        "--bind",
        scratch,
        inner_workdir,
        "--chdir",
        inner_workdir,
    ]
    if sandbox.switches_uid:
        args += [
            "--",
            SETPRIV,
            f"--reuid={sandbox.uid}",
            f"--regid={sandbox.uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    else:
        args += ["--unshare-user", "--disable-userns", "--"]
    return [*limits(sandbox), *args, *command]


def _parents(paths: list[str]) -> list[str]:
    """Every folder above ``paths`` (outside /usr), parents first."""
    folders = set()
    for path in paths:
        for parent in Path(path).parents:
            if str(parent) != "/" and not str(parent).startswith("/usr"):
                folders.add(str(parent))
    return sorted(folders, key=lambda f: (f.count("/"), f))


def copy_working_folder(source: Path, target: Path) -> None:
    """Regular files and folders only: a symbolic link is not followed."""
    total = 0
    for folder, dirs, files in os.walk(source, followlinks=False):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            total += path.stat().st_size
            if total > MAX_COPY:
                raise SandboxError("要评分的文件夹太大，无法放入评分沙箱。")
            shutil.copyfile(path, target / relative / name)


def give_to(path: Path, uid: int) -> None:
    """``path`` and everything in it owned by ``uid``."""
    os.chown(path, uid, uid)
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(folder, name), uid, uid, follow_symlinks=False)


def make_sandbox_root() -> tuple[Path, dict[str, Path]]:
    """A private folder holding the kernel's sockets (``run``), ``home`` and ``work``."""
    root = Path(tempfile.mkdtemp(prefix="yiyuan-sandbox-"))
    os.chmod(root, 0o711)
    parts = {name: root / name for name in ("run", "home", "work")}
    for path in parts.values():
        path.mkdir(mode=0o700)
    for sub in (".matplotlib", ".ipython", ".runtime"):
        (parts["home"] / sub).mkdir()
    return root, parts


class SandboxKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel starts inside the sandbox, over ``ipc``."""

    sandbox = AnyTrait(None, help="The Sandbox to run kernels in.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sandbox_root: Path | None = None

    async def _async_pre_start_kernel(self, **kw: Any):
        sandbox: Sandbox = self.sandbox
        if sandbox is None:
            raise SandboxError("评分沙箱没有配置：不在沙箱里运行学员的代码。")
        self._cleanup_sandbox()
        self._sandbox_root, parts = make_sandbox_root()
        _seed_matplotlib_cache(parts["home"] / ".matplotlib")
        workdir = kw.get("cwd")
        if workdir and Path(workdir).is_dir():
            copy_working_folder(Path(workdir), parts["work"])
        if sandbox.switches_uid:
            for path in parts.values():
                give_to(path, sandbox.uid)
        self.transport = "ipc"
        self.ip = str(parts["run"] / "kernel")
        self.connection_file = str(parts["run"] / "kernel.json")
        self._sandbox_paths = {
            "scratch": str(parts["work"]),
            "home": str(parts["home"]),
            "sockets": str(parts["run"]),
            "inner_workdir": str(workdir or parts["work"]),
        }
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return bwrap_command(self.sandbox, command, **self._sandbox_paths)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["cwd"] = "/"
        if self.sandbox.switches_uid:  # written by the grader (0600): the kernel reads it
            os.chown(self.connection_file, self.sandbox.uid, self.sandbox.uid)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._cleanup_sandbox()

    def _cleanup_sandbox(self) -> None:
        if self._sandbox_root is not None:
            shutil.rmtree(self._sandbox_root, ignore_errors=True)
            self._sandbox_root = None


def _seed_matplotlib_cache(target: Path) -> None:
    """matplotlib rebuilds its font list (seconds, with CJK fonts) in an empty cache folder:
    give each kernel a copy of the grader's list (paths under /usr, valid in the sandbox)."""
    cache = Path(os.environ.get("MPLCONFIGDIR") or Path.home() / ".cache" / "matplotlib")
    try:
        for path in cache.glob("fontlist-*.json"):
            shutil.copyfile(path, target / path.name)
    except OSError:
        pass


def check_sandbox(grading: GradingSettings) -> None:
    """Run one command in the sandbox the workers will use; raise :class:`SandboxError`
    saying what to do when it cannot work here."""
    if not os.path.exists(BWRAP):
        raise SandboxError(
            "找不到 bubblewrap（/usr/bin/bwrap）：评分沙箱需要它。"
            "请运行 `make setup`（或 apt-get install bubblewrap）。"
        )
    sandbox = Sandbox.for_worker(grading, 0)
    root, parts = make_sandbox_root()
    try:
        if sandbox.switches_uid:
            for path in parts.values():
                give_to(path, sandbox.uid)
        home = str(parts["home"])
        command = bwrap_command(
            sandbox,
            [sys.executable, "-c", "import yiyuan.lesson"],
            scratch=str(parts["work"]),
            home=home,
            sockets=str(parts["run"]),
            inner_workdir=str(parts["work"]),
        )
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxError(f"评分沙箱无法启动：{error}") from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise SandboxError(
            "评分沙箱无法启动（bubblewrap 报告：" + detail[0] + "）。"
            "需要 Linux 的命名空间：在容器里运行时请允许创建命名空间，或以 root 运行评分服务。"
        )


def require_sandbox(mode: str, grading: GradingSettings) -> None:
    """Before a grader starts: production never runs learners' code unsandboxed, and a
    sandbox that cannot start here stops the grader with the reason (not every job later)."""
    if grading.sandbox == "none":
        if mode == "production":
            raise SandboxError(
                "生产模式不能关闭评分沙箱（grading.sandbox: none）：学员的代码会以评分服务的"
                "权限运行。请删除这项设置，并安装 bubblewrap（`make setup`）。"
            )
        return
    check_sandbox(grading)
