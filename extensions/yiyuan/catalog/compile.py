"""Compiled lessons: each lesson of a release runs once, at publish, and becomes a page.

A lesson is mostly text, pictures, sound and questions: none of it needs a kernel while the
learner reads and answers. So the release's notebooks are executed once (in the grading
sandbox, like any code that is not the platform's), with the widgets' state stored, and
exported by nbconvert with the platform's template: no code, no prompts, nothing from a CDN.
The page is the same for every learner; the service fills in their saved answers when it
serves it, and the browser draws the widgets with Jupyter's own standalone widget manager
(``@jupyter-widgets/html-manager``, from npm, served by the service).

A lesson with live code of its own (``interact``, its own widgets' callbacks) cannot work
without a kernel: such a module is marked live and keeps the Voila player.

Stored beside the release (``storage.compiled``): ``<lesson>.html`` per notebook and
``lessons.json`` (the questions of each lesson, for the service to check and grade answers).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fcntl
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import nbformat

from ..atomic import write_atomic
from ..errors import YiyuanError
from ..exchange import archives
from ..exchange.images import MARKDOWN_IMAGE, local_image, mime_of
from ..lesson.compiled import QUESTION_MIME, SUBMIT_MIME
from ..models import Module
from ..settings import Settings
from ..storage import NotInStorage, Storage

log = logging.getLogger(__name__)

#: bump when the pages change shape: modules compiled by an older version are compiled again
COMPILER_VERSION = 1
SPEC_FILE = "lessons.json"
TEMPLATE_DIR = Path(__file__).parent / "lesson_template"
#: code a lesson runs that only a kernel can answer (the Lesson object's own widgets are fine)
LIVE_CODE = re.compile(
    r"\b(interact|interactive|interact_manual|interactive_output)\b"
    r"|\bipywidgets\b|\.observe\(|\.on_click\(|\.on_submit\("
)
START_CELL = "import yiyuan.lesson.compiled as _yiyuan_compiled\n_yiyuan_compiled.start()"


class CompileError(YiyuanError):
    """A lesson that cannot be compiled (Chinese message naming the lesson and the cell)."""


@dataclass
class CompiledLesson:
    name: str
    title: str
    questions: list[dict] = field(default_factory=list)
    submit: bool = False
    html: str = field(default="", repr=False)


def is_live(notebook: nbformat.NotebookNode) -> bool:
    """Whether the lesson runs code of its own while the learner uses it."""
    return any(
        cell.cell_type == "code" and LIVE_CODE.search(cell.source) for cell in notebook.cells
    )


def has_learner_code(notebook: nbformat.NotebookNode) -> bool:
    """Whether learners write in the notebook itself (code or Markdown): an nbgrader solution
    cell. A page has nowhere to write them."""
    return any(
        cell.get("metadata", {}).get("nbgrader", {}).get("solution") for cell in notebook.cells
    )


def lesson_title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    title = notebook.metadata.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def execute(path: Path, settings: Settings) -> nbformat.NotebookNode:
    """Run the lesson once in its folder (in the sandbox unless grading.sandbox is none)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(START_CELL))
    client = NotebookClient(
        notebook,
        timeout=settings.grading.timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        allow_errors=False,
        record_timing=False,
        **_kernel_manager(settings, path.parent),
    )
    try:
        with _sandbox_uid_lock(settings):
            client.execute()
    except CellExecutionError as error:
        index = _failed_cell(notebook)
        raise CompileError(
            f"课件 {path.name} 的第 {index} 个单元格运行出错，无法编译：{_last_line(error)}"
        ) from None
    except (CellTimeoutError, DeadKernelError, TimeoutError) as error:
        raise CompileError(f"课件 {path.name} 运行超时或中断，无法编译：{error}") from None
    except YiyuanError:
        raise
    except Exception as error:  # the kernel could not start, the sandbox refused …
        log.exception("compiling %s failed", path)
        raise CompileError(f"课件 {path.name} 无法运行，无法编译：{error}") from None
    del notebook.cells[0]
    return notebook


def _kernel_manager(settings: Settings, folder: Path) -> dict:
    """nbclient's options for the sandbox. The client makes the kernel manager itself (from
    the class and the config): a client given a manager leaves its kernel running."""
    if settings.grading.sandbox == "none":
        return {}
    from traitlets.config import Config

    from ..grading.sandbox import Sandbox, SandboxKernelManager

    # a uid no grading worker uses: the compile's processes count against nobody's limit
    sandbox = Sandbox.for_worker(settings.grading, COMPILE_SLOT, readonly=[folder])
    if not sandbox.switches_uid:
        # run by the service user (production: the web page's publish, or root's command
        # dropped to it): the kernel keeps that uid in a user namespace, and the process limit
        # counts per real uid, so it would count the platform's own processes and threads.
        # The trainer's lesson is not a learner's code: no process limit, the rest stays.
        sandbox = replace(sandbox, processes=COMPILE_PROCESSES_UNSHARED)
    config = Config()
    config.SandboxKernelManager.sandbox = sandbox
    return {"kernel_manager_class": SandboxKernelManager, "config": config}


#: the sandbox slot of compiles (grading workers use 0 … workers-1)
COMPILE_SLOT = 999
#: RLIMIT_NPROC of a compile that keeps the caller's uid (counted with all its processes)
COMPILE_PROCESSES_UNSHARED = 4096


@contextlib.contextmanager
def _sandbox_uid_lock(settings: Settings):
    """One compile at a time per sandbox uid on this machine: the uid's process limit
    (RLIMIT_NPROC counts every process and thread of the uid) is sized for one kernel, and two
    publishes at once (the web page and the command line) would share it."""
    if settings.grading.sandbox == "none" or os.getuid() != 0:
        yield  # no uid of its own to share (see _kernel_manager)
        return
    uid = settings.grading.sandbox_uid + COMPILE_SLOT
    path = Path(tempfile.gettempdir()) / f"yiyuan-compile-{uid}.lock"
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _failed_cell(notebook: nbformat.NotebookNode) -> int:
    for index, cell in enumerate(notebook.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return index  # the start cell is 0: lesson cells count from 1
    return 0


def _last_line(error: Exception) -> str:
    ename, evalue = getattr(error, "ename", ""), getattr(error, "evalue", "")
    if ename:
        return f"{ename}: {evalue}"
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def export(
    notebook: nbformat.NotebookNode, name: str, fallback_title: str, folder: Path | None = None
) -> CompiledLesson:
    """The executed lesson as a page, and what it asks; images its Markdown names beside it
    (in ``folder``) are put in the page."""
    from nbconvert import HTMLExporter

    notebook = copy.deepcopy(notebook)
    if folder is not None:
        _attach_images(notebook, folder)
    lesson = CompiledLesson(name=name, title=lesson_title(notebook, fallback_title))
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if QUESTION_MIME in data:
                lesson.questions.append(dict(data[QUESTION_MIME]))
                continue
            if SUBMIT_MIME in data:
                lesson.submit = True
                data.pop(SUBMIT_MIME)
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue  # warnings are for the trainer's preview, not the learner
            kept.append(output)
        cell.outputs = kept
        cell.source = ""  # no code reaches the page, not even in a comment
    exporter = HTMLExporter(
        template_name="yiyuan-lesson",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    notebook.metadata["title"] = lesson.title
    lesson.html, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": name}})
    return lesson


def compile_folder(folder: Path, notebooks: list[str], settings: Settings) -> list[CompiledLesson]:
    lessons = []
    for name in notebooks:
        notebook = execute(folder / name, settings)
        lessons.append(export(notebook, name, Path(name).stem, folder))
    return lessons


def _attach_images(notebook: nbformat.NotebookNode, folder: Path) -> None:
    """Markdown images beside the lesson become the cell's attachments (nbconvert puts those
    in the page): the page has no folder of its own to fetch them from."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue

        def attach(match: re.Match, cell=cell) -> str:
            path = local_image(folder, folder, match.group(2))
            if path is None:
                return match.group(0)
            attachments = cell.setdefault("attachments", {})
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            attachments[path.name] = {mime_of(path): data}
            return f"![{match.group(1)}](attachment:{path.name}{match.group(3) or ''})"

        cell.source = MARKDOWN_IMAGE.sub(attach, cell.source)


# -- the module's compiled lessons in storage -----------------------------------------------


def spec_of(storage: Storage, module: Module, release: int | None = None) -> dict | None:
    """What ``lessons.json`` says for the module's current release, or for ``release``
    (None: not compiled)."""
    release = module.release if release is None else release
    key = storage.key(storage.compiled(module.course.code, module.code, release), SPEC_FILE)
    try:
        spec = json.loads(_read(storage, key))
    except (OSError, ValueError):
        return None
    if not isinstance(spec, dict) or spec.get("version") != COMPILER_VERSION:
        return None
    return spec


def questions_of(spec: dict) -> list[dict]:
    """Every question of a compiled module's ``lessons.json``, in lesson order."""
    return [q for lesson in spec.get("lessons", []) for q in lesson.get("questions", [])]


def _read(storage: Storage, key: str) -> str:
    """A compiled file's text, kept in memory while it does not change: every learner opening
    a lesson reads the same page and spec (object storage is asked only for its version)."""
    version = storage.version(key)
    if version is None:
        raise NotInStorage(key)
    return _read_version(storage, key, version)


@functools.lru_cache(maxsize=64)
def _read_version(storage: Storage, key: str, version: str) -> str:
    return storage.get(key).decode("utf-8")


def is_live_module(storage: Storage, module: Module) -> bool:
    spec = spec_of(storage, module)
    return bool(spec and spec.get("live"))


def page_of(storage: Storage, module: Module, name: str) -> str:
    folder = storage.compiled(module.course.code, module.code, module.release)
    return _read(storage, storage.key(folder, f"{Path(name).stem}.html"))


def compile_module(
    settings: Settings, storage: Storage, module: Module, force: bool = False
) -> str:
    """Compile the module's current release unless it is already; returns ``compiled``,
    ``live`` (marked, kept on the Voila player) or ``unchanged``. CompileError when a lesson
    cannot run."""
    from .players import COMPILED, declared_player

    declared = declared_player(module)
    current = spec_of(storage, module)
    if not force and current is not None and current.get("declared", COMPILED) == declared:
        return "unchanged"
    if declared != COMPILED:  # the manifest says it needs a kernel or JupyterLab
        store(storage, module, [], live=True, player=declared, declared=declared)
        return "live"
    data = storage.get(storage.release(module.course.code, module.code, module.release))
    cached = _cache_folder(data, settings)
    target = storage.compiled(module.course.code, module.code, module.release)
    if cached is not None:
        try:
            if (cached / SPEC_FILE).is_file():
                _from_cache(cached, storage, target)
                return "live" if is_live_module(storage, module) else "compiled"
        except OSError:  # a cache this user may not use (a service user, a root-made folder)
            cached = None
    with tempfile.TemporaryDirectory(prefix="yiyuan-compile-") as temporary:
        folder = Path(temporary) / module.code
        _unpack(data, folder, settings)
        notebooks = [n for n in (module.lessons or []) if (folder / n).is_file()]
        notebooks = notebooks or sorted(p.name for p in folder.glob("*.ipynb"))
        read = [nbformat.read(folder / n, as_version=4) for n in notebooks]
        if any(has_learner_code(notebook) for notebook in read):
            # learners write code (nbgrader solution cells): JupyterLab, not a page
            store(storage, module, [], live=True, player="jupyterlab")
            return "live"
        live = any(is_live(notebook) for notebook in read)
        lessons = [] if live else _compiled(folder, notebooks, settings, module)
    store(storage, module, lessons, live)
    if cached is not None:
        try:
            _to_cache(storage, target, cached)
        except OSError:
            log.warning("could not keep the compiled lessons in %s", cached)
    return "live" if live else "compiled"


#: a folder of compiled releases by checksum, shared by publishes (the test suite publishes
#: the same demo courses into many platforms); unset in normal use
CACHE_ENV = "YIYUAN_COMPILE_CACHE"


def _cache_folder(data: bytes, settings: Settings) -> Path | None:
    root = os.environ.get(CACHE_ENV)
    if not root:
        return None
    key = hashlib.sha256(data).hexdigest()[:32]
    return Path(root) / f"v{COMPILER_VERSION}-{settings.grading.sandbox}-{key}"


def _from_cache(cached: Path, storage: Storage, target: str) -> None:
    files = sorted(cached.iterdir(), key=lambda p: p.name == SPEC_FILE)  # the spec last
    for path in files:
        storage.put(storage.key(target, path.name), path.read_bytes())


def _to_cache(storage: Storage, source: str, cached: Path) -> None:
    names = sorted(storage.names(source), key=lambda name: name == SPEC_FILE)  # the spec last
    for name in names:
        write_atomic(cached / name, storage.get(storage.key(source, name)))


def _compiled(folder: Path, notebooks: list[str], settings: Settings, module: Module):
    try:
        return compile_folder(folder, notebooks, settings)
    except CompileError as error:
        raise CompileError(f"单元 {module.course.code}/{module.code}：{error}") from None


def _unpack(data: bytes, folder: Path, settings: Settings) -> None:
    # archives.unpack checks every member (no links, no "..", sizes): Python 3.11.2 (Debian's)
    # has no tarfile extraction filters
    archives.unpack(data, folder, settings.service.max_release_mb * 1024 * 1024)


def store(
    storage: Storage,
    module: Module,
    lessons: list[CompiledLesson],
    live: bool,
    player: str = "",
    declared: str = "compiled",
) -> None:
    folder = storage.compiled(module.course.code, module.code, module.release)
    for lesson in lessons:
        storage.put(storage.key(folder, f"{Path(lesson.name).stem}.html"), lesson.html.encode())
    spec = {
        "version": COMPILER_VERSION,
        "live": live,
        "player": player or ("live" if live else "compiled"),
        #: what the manifest said (a change of it compiles again)
        "declared": declared,
        "lessons": [{k: v for k, v in asdict(lesson).items() if k != "html"} for lesson in lessons],
    }
    # written last: a module is compiled once its spec is there
    storage.put(
        storage.key(folder, SPEC_FILE), json.dumps(spec, ensure_ascii=False, indent=1).encode()
    )


def remove_compiled(storage: Storage, module: Module) -> None:
    storage.delete_prefix(storage.compiled(module.course.code, module.code, module.release))
