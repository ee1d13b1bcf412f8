"""Module releases in the exchange storage: ``releases/<course>/<module>/<n>.tar.gz``.

A release is the student version of a module (nbgrader's generate step: no hidden tests, no
answer file), packed deterministically, so unchanged sources give the same checksum and no new
release. Earlier releases stay in storage: a learner who fetched release 2 still submits against it.
"""

from __future__ import annotations

import hashlib
import io
import tarfile

from sqlalchemy.orm import Session

from ..courses.notebooks import HIDDEN_BEGIN
from ..errors import YiyuanError
from ..exchange import archives
from ..models import Module, utcnow
from ..storage import Storage

#: the lesson widgets' answers file: in a source folder it holds the trainer's own answers
ANSWERS_FILE = "answers.json"


class ReleaseError(YiyuanError):
    """A release archive that is refused (Chinese message)."""


def store_release(
    session: Session, storage: Storage, module: Module, data: bytes, max_bytes: int
) -> bool:
    """Store ``data`` as the module's next release unless it equals the current one.

    Returns True when a new release was made. Refuses unsafe archives, and archives that
    would give learners the answers (an ``answers.json`` anywhere, a hidden test left in).
    """
    label = f"{module.course.code}/{module.code}"
    try:
        files = archives.check(data, max_bytes)
    except archives.ArchiveError as error:
        raise ReleaseError(f"单元 {label} 的发布包有问题：{error}") from None
    if any(path.name == ANSWERS_FILE for path in files):
        raise ReleaseError(
            f"单元 {label} 的发布包含有 {ANSWERS_FILE}（教师的答案），已拒绝发布："
            "请从课件文件夹中删除它后重试。"
        )
    if _has_hidden_tests(data):
        raise ReleaseError(f"单元 {label} 的发布包中留有隐藏测试（答案），已拒绝发布。")
    checksum = hashlib.sha256(data).hexdigest()
    if checksum == module.release_checksum and module.release > 0:
        current = storage.release(module.course.code, module.code, module.release)
        if not storage.exists(current):  # storage lost the file: put the same release back
            storage.put(current, data)
        if module.released_at is None:  # withdrawn earlier, listed again
            module.released_at = utcnow()
        session.flush()
        return False
    number = module.release + 1
    storage.put(storage.release(module.course.code, module.code, number), data)
    module.release = number
    module.release_checksum = checksum
    module.released_at = utcnow()
    session.flush()
    return True


def withdraw_release(session: Session, module: Module) -> None:
    """Learners can no longer fetch the module; its files and submissions are kept."""
    module.released_at = None
    session.flush()


def _has_hidden_tests(data: bytes) -> bool:
    # a second lock on the door: nbgrader's generate step removes hidden tests; if a lesson
    # ever reached a release without that step, its answer key would go to every learner
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".ipynb"):
                stream = archive.extractfile(member)
                if stream is not None and HIDDEN_BEGIN.encode() in stream.read():
                    return True
    return False
