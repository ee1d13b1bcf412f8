"""Writing a file so that a reader sees the old file or the new one, whole: temporary file
beside it, fsync, rename.

On the bottom floor, importing nothing of the platform: the exchange's local storage
(``yiyuan.storage``) and the lesson widgets' answers file in learners' kernels
(``yiyuan.lesson.sidecar``, which may not reach settings or the database) share it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes, mode: int = 0o640) -> str:
    """Write ``data`` so that ``path`` holds all of it or does not change (its folder is made
    when missing); returns its sha256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a dot name: listings of the folder (yiyuan.storage) skip files still being written
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
