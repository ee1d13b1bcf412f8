"""Packing a folder into a tar.gz and unpacking one safely.

Both sides use this: learners' servers pack submissions and unpack releases, the service
checks every archive it receives. Unpacking refuses, with a Chinese message, any member that
could escape the target folder or is not a plain file or folder (``..``, absolute paths,
links, devices), and archives larger than a limit once unpacked.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

#: never packed: caches, checkpoints, editor leftovers
ALWAYS_EXCLUDED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}

MAX_MEMBERS = 2000


class ArchiveError(ValueError):
    """An archive that is refused; the message is Chinese and safe to show to the user."""


def pack(
    folder: Path,
    exclude: Callable[[PurePosixPath], bool] | None = None,
) -> bytes:
    """The folder's files as tar.gz bytes, paths relative to the folder, links left out.

    The bytes depend only on the files' names and contents (no times, owners or modes), so
    packing unchanged files twice gives the same checksum: a publish that changes nothing
    makes no new release.
    """
    folder = Path(folder)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(_walk(folder)):
            relative = PurePosixPath(path.relative_to(folder).as_posix())
            if exclude is not None and exclude(relative):
                continue
            info = tarfile.TarInfo(str(relative))
            info.size = path.stat().st_size
            info.mtime = 0
            info.mode = 0o644
            with path.open("rb") as stream:
                archive.addfile(info, stream)
    return gzip.compress(buffer.getvalue(), mtime=0)


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ALWAYS_EXCLUDED and not d.startswith(".")]
        for name in names:
            path = Path(root) / name
            if name in ALWAYS_EXCLUDED or path.is_symlink() or not path.is_file():
                continue
            yield path


def check_member(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's safe relative path, or ArchiveError."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or name[1:2] == ":":
        raise ArchiveError(f"压缩包中的“{name}”是绝对路径，已拒收。")
    if any(part == ".." for part in path.parts) or "\\" in name:
        raise ArchiveError(f"压缩包中的“{name}”试图写到目标文件夹之外（含“..”），已拒收。")
    if member.issym() or member.islnk():
        raise ArchiveError(f"压缩包中的“{name}”是链接，已拒收。")
    if not (member.isfile() or member.isdir()):
        raise ArchiveError(f"压缩包中的“{name}”不是普通文件，已拒收。")
    parts = [part for part in path.parts if part not in ("", ".")]
    if not parts:
        raise ArchiveError("压缩包中有一个没有名字的条目，已拒收。")
    return PurePosixPath(*parts)


def check(data: bytes, max_bytes: int) -> list[PurePosixPath]:
    """The archive's file paths; ArchiveError when it is unreadable, unsafe or too large."""
    files = []
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for number, member in enumerate(archive, start=1):
                if number > MAX_MEMBERS:
                    raise ArchiveError(f"压缩包中的文件超过 {MAX_MEMBERS} 个，已拒收。")
                path = check_member(member)
                if member.isfile():
                    total += member.size
                    if total > max_bytes:
                        raise ArchiveError(
                            f"压缩包解开后超过 {max_bytes // (1024 * 1024)} MB，已拒收。"
                        )
                    files.append(path)
    except (tarfile.TarError, EOFError, OSError, ValueError) as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError("上传的内容不是有效的压缩包（tar.gz），已拒收。") from None
    return files


def unpack(data: bytes, target: Path, max_bytes: int) -> list[PurePosixPath]:
    """Check, then unpack into ``target`` (created) all at once: a temporary folder beside it
    is filled first and renamed into place, so ``target`` never holds half an archive.
    ``target`` must not exist yet."""
    files = check(data, max_bytes)
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for member in archive:
                path = check_member(member)
                destination = staging.joinpath(*path.parts)
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                if source is None:
                    continue
                with source, destination.open("wb") as stream:
                    shutil.copyfileobj(source, stream)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files
