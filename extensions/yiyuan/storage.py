"""The exchange's storage: where the platform keeps releases, submissions and feedback
(``settings.exchange_dir``). Below the catalogue, the grader, certificates and the service,
which all write here.

Layout (every path component is a checked id or a number, never a name a user chose)::

    releases/<course>/<module>/<release>.tar.gz
    compiled/<course>/<module>/<release>/lessons.json, <lesson>.html
    submissions/<course>/<module>/<username>/<submission id>.tar.gz
    feedback/<course>/<module>/<username>/<submission id>/<lesson>.html

Files are written atomically (temporary file, fsync, rename): a reader, or a service
restarted half-way, sees a whole file or none.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .exchange.names import check_id


class Storage:
    def __init__(self, root: Path):
        self.root = Path(root)

    def release(self, course: str, module: str, release: int) -> Path:
        return self._under(
            "releases",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            f"{int(release)}.tar.gz",
        )

    def compiled(self, course: str, module: str, release: int) -> Path:
        """The folder of a release's compiled lessons (yiyuan.catalog.compile)."""
        return self._under(
            "compiled",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            str(int(release)),
        )

    def submission(self, course: str, module: str, username: str, submission_id: int) -> Path:
        return self._under(
            "submissions",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            _username(username),
            f"{int(submission_id)}.tar.gz",
        )

    def feedback(self, course: str, module: str, username: str, submission_id: int) -> Path:
        return self._under(
            "feedback",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            _username(username),
            str(int(submission_id)),
        )

    def relative(self, path: Path) -> str:
        return Path(path).relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        """A stored relative path back to a file under the root (never outside it)."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the exchange: {relative}")
        return path

    def _under(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)


def _username(name: str) -> str:
    # usernames come from the platform's accounts (letters, digits, - _ .), checked again here
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"unsafe username {name!r}")
    return name


def write_atomic(path: Path, data: bytes, mode: int = 0o640) -> str:
    """Write ``data`` so that ``path`` holds all of it or does not change; returns its sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".part", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return hashlib.sha256(data).hexdigest()
