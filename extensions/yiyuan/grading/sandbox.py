"""The grading sandbox: every kernel that runs a learner's code runs inside bubblewrap.

What a sandboxed kernel has (and nothing else):

- **identity**: its own uid (``grading.sandbox_uid`` + the worker's slot), no groups, no
  capabilities, ``no_new_privs`` (setuid programs in /usr stay powerless). Only root can give a
  kernel a uid of its own, so a production worker keeps root as its *real* uid while it works
  as the platform's user (:func:`keep_root_for_kernels`); the root steps (hand the kernel its
  folders, start bubblewrap, remove the folders) run in short child processes, never in the
  worker's threads. A worker without root runs kernels in a user namespace of its own uid
  (weaker: the process limit then counts the worker's processes too).
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

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any as AnyTrait

from ..errors import YiyuanError
from ..i18n import get_catalogue
from ..settings import GradingSettings

words = get_catalogue()

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


#: sandbox slots one machine offers its grading processes (compiles use slot 999, beyond them)
HOST_SLOTS = 100

#: the slot this process holds: base uid → (pid, slot, the locked file)
_held: dict[int, tuple[int, int, Any]] = {}


def claim_slot(grading: GradingSettings, preferred: int = 0) -> int:
    """A sandbox slot (kernels' uid ``grading.sandbox_uid + slot``) that no other process on
    this machine holds, ``preferred`` when free; the same one on every later call.

    Several grading processes may share a machine: pools of separate hosts' configuration on
    one node, a worker started by hand beside the hub's pool, test runs side by side. A uid
    must not be shared: the process limit (RLIMIT_NPROC) counts every process of the uid, so
    one worker's fork bomb or unreaped kernels would stop the other's kernels from starting.
    The claim is an exclusive lock on a file per uid, released when the process ends however
    it ends; a forked child claims its own."""
    held = _held.get(grading.sandbox_uid)
    if held is not None and held[0] == os.getpid():
        return held[1]
    for slot in [preferred, *(s for s in range(HOST_SLOTS) if s != preferred)]:
        stream = _lock_file(grading.sandbox_uid + slot)
        if stream is None:
            continue
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.close()
            continue
        _held[grading.sandbox_uid] = (os.getpid(), slot, stream)
        return slot
    raise SandboxError(words.format("grader_no_free_slot", count=HOST_SLOTS))


def _lock_file(uid: int):
    path = Path(tempfile.gettempdir()) / f"yiyuan-sandbox-{uid}.lock"
    try:
        # opened read-only, created only when missing: /tmp refuses to open another user's
        # file for creation (fs.protected_regular), and flock needs no write access
        if not path.exists():
            path.touch(mode=0o644, exist_ok=True)
        return open(path, "rb")
    except OSError:
        return None  # another user's file we may not read: that slot is not ours


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
    #: where each kernel's private folders are made (the pool clears it when it starts, so a
    #: worker killed mid-job leaves nothing behind for long); "" means the system's temp folder
    workspace: str = ""

    @classmethod
    def for_worker(
        cls, grading: GradingSettings, slot: int, readonly=(), workspace: str = ""
    ) -> Sandbox:
        return cls(
            uid=grading.sandbox_uid + slot,
            workspace=workspace,
            memory_mb=grading.kernel_memory_mb,
            # CPU time is a backstop: the notebook's own timeout stops it first
            cpu_seconds=grading.timeout + 60,
            processes=grading.kernel_processes,
            file_mb=grading.kernel_file_mb,
            readonly=tuple(str(p) for p in readonly),
        )

    @property
    def switches_uid(self) -> bool:
        """A worker whose real uid is root (see :func:`keep_root_for_kernels`) starts each
        kernel as ``uid``; any other worker uses a user namespace of its own uid."""
        return os.getuid() == 0


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
                raise SandboxError(words.grader_folder_too_large)
            shutil.copyfile(path, target / relative / name)


def keep_root_for_kernels(uid: int, gid: int, name: str, home: str) -> None:
    """Work as ``uid``/``gid`` (what the worker writes belongs to the platform's user) but keep
    root as the real and saved uid, so that a kernel's launcher (a child process) can become
    root again to start bubblewrap. Processes of ``uid`` cannot signal or trace this one."""
    os.setgroups([gid])
    os.setresgid(0, gid, 0)
    os.setresuid(0, uid, 0)
    os.environ.update(HOME=home, USER=name, LOGNAME=name)


#: The root step before bubblewrap: the kernel gets its home and working copy; the socket
#: folder is shared with the worker's group only (setgid, and umask 007 for the kernel, so its
#: sockets are the group's to connect to: a worker that is not root needs that).
_HAND_OVER = (
    'uid=$1; gid=$2; shift 2; chown -R "$uid:$uid" -- "$2" "$3"'
    ' && chown -R "$uid:$gid" -- "$1" && chmod 2770 -- "$1" && umask 007 && shift 3'
    ' && exec "$@"'
)
AS_ROOT = {"user": 0, "group": 0}


def hand_over(uid: int, sockets: str, home: str, work: str, command: list[str]) -> list[str]:
    """``command`` preceded by a root shell step that gives the kernel its folders."""
    owner = [str(uid), str(os.getegid())]
    return ["/bin/sh", "-c", _HAND_OVER, "sh", *owner, sockets, home, work, *command]


def remove_tree(root: Path, as_root: bool) -> None:
    """The kernel's files belong to its uid: a worker that is not root removes them through a
    root child process."""
    if as_root and os.geteuid() != 0:
        subprocess.run(["/bin/rm", "-rf", "--one-file-system", "--", str(root)], **AS_ROOT)
    else:
        shutil.rmtree(root, ignore_errors=True)


def make_sandbox_root(workspace: str = "") -> tuple[Path, dict[str, Path]]:
    """A private folder holding the kernel's sockets (``run``), ``home`` and ``work``."""
    if workspace:
        os.makedirs(workspace, mode=0o711, exist_ok=True)
    # short names: a Unix socket's path must stay under 108 bytes
    root = Path(tempfile.mkdtemp(prefix="k", dir=workspace or None))
    os.chmod(root, 0o711)
    # whose it is: pools beside this one (or on other hosts) share the workspace
    (root / OWNER).write_text(_owner(), encoding="utf-8")
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
            raise SandboxError(words.grader_no_sandbox)
        self._cleanup_sandbox()
        self._sandbox_root, parts = make_sandbox_root(sandbox.workspace)
        _seed_matplotlib_cache(parts["home"] / ".matplotlib")
        workdir = kw.get("cwd")
        if workdir and Path(workdir).is_dir():
            copy_working_folder(Path(workdir), parts["work"])
        # ipykernel interrupts itself on request: the grader need not signal another uid
        self.kernel_spec.interrupt_mode = "message"
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
        return sandboxed(self.sandbox, command, **self._sandbox_paths)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        kw["cwd"] = "/"
        # ipykernel's start-up banner; what cells print travels over the sockets
        kw["stdout"] = subprocess.DEVNULL
        if self.sandbox.switches_uid:
            kw.update(AS_ROOT)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._cleanup_sandbox()

    def _cleanup_sandbox(self) -> None:
        if self._sandbox_root is not None:
            remove_tree(self._sandbox_root, self.sandbox.switches_uid)
            self._sandbox_root = None


def sandboxed(sandbox: Sandbox, command: list[str], **paths: str) -> list[str]:
    """The whole launch command: the root hand-over step (when the kernel gets its own uid),
    limits, bubblewrap, then ``command``."""
    wrapped = bwrap_command(sandbox, command, **paths)
    if not sandbox.switches_uid:
        return wrapped
    return hand_over(sandbox.uid, paths["sockets"], paths["home"], paths["scratch"], wrapped)


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
        raise SandboxError(words.grader_no_bwrap)
    sandbox = Sandbox.for_worker(grading, 0)
    root, parts = make_sandbox_root()
    try:
        command = sandboxed(
            sandbox,
            [sys.executable, "-c", "import yiyuan.lesson"],
            scratch=str(parts["work"]),
            home=str(parts["home"]),
            sockets=str(parts["run"]),
            inner_workdir=str(parts["work"]),
        )
        extra = AS_ROOT if sandbox.switches_uid else {}
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=60, cwd="/", **extra
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxError(words.format("grader_sandbox_start_error", error=error)) from None
    finally:
        remove_tree(root, sandbox.switches_uid)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        raise SandboxError(words.format("grader_sandbox_failed", detail=detail[0]))


#: a kernel folder's file naming the worker that made it (host and pid), not seen by the kernel
OWNER = "owner"


def _owner(pid: int | None = None) -> str:
    return f"{socket.gethostname()} {os.getpid() if pid is None else pid}"


def clear_workspace(workspace: Path) -> None:
    """What kernels of an earlier pool left (a worker killed mid-job cannot clean up). Several
    pools may share the workspace (``yiyuan grading run`` started more than once, on this host
    or on others sharing the data directory): only folders of this host's workers that are no
    longer running are removed."""
    if not workspace.is_dir():
        return
    host = socket.gethostname()
    for entry in workspace.iterdir():
        try:
            owner_host, _, pid = (entry / OWNER).read_text(encoding="utf-8").rpartition(" ")
        except (OSError, ValueError):
            owner_host, pid = host, ""  # an older pool's, or a folder half made: gone
        if owner_host != host or (pid.isdigit() and _running(int(pid))):
            continue
        remove_tree(entry, os.getuid() == 0)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def require_sandbox(mode: str, grading: GradingSettings) -> None:
    """Before a grader starts: production never runs learners' code unsandboxed, and a
    sandbox that cannot start here stops the grader with the reason (not every job later)."""
    if grading.sandbox == "none":
        if mode != "demo":  # production, kubernetes
            raise SandboxError(words.grader_sandbox_required)
        return
    check_sandbox(grading)
