"""The exchange's storage: where the platform keeps releases, compiled lessons, submissions,
feedback and certificate PDFs. One interface, :class:`Storage`, two backends chosen in the
settings (``storage.backend``; ``yiyuan.platform.open_storage`` builds the one in use):

- :class:`LocalStorage`: files under a folder (``settings.exchange_dir``), one machine;
- :class:`S3Storage`: objects in a bucket of S3-compatible object storage, shared by service
  replicas and grading workers on any number of hosts.

Everything is named by a **key**, a relative POSIX path built by the builders below (every
part a checked id or a number, never a name a user chose)::

    releases/<course>/<module>/<release>.tar.gz
    compiled/<course>/<module>/<release>/lessons.json, <lesson>.html
    submissions/<course>/<module>/<username>/<submission id>.tar.gz
    feedback/<course>/<module>/<username>/<submission id>/<lesson>.html
    certificates/<year>/<serial>.pdf

The database keeps keys (``Submission.path``, ``Grade.feedback_path``): they are the paths
relative to ``exchange_dir`` that it always kept, so a local folder written before keeps
working, and the same rows work with either backend once its objects are copied across.

A put is atomic: a reader, or a service restarted half-way, sees a whole object or none
(a local file is written to a temporary name and renamed; an S3 PUT is atomic by itself).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path

from .atomic import write_atomic
from .errors import YiyuanError
from .exchange.names import check_id

__all__ = [
    "LocalStorage",
    "NotInStorage",
    "S3Storage",
    "Storage",
    "StorageError",
    "check_key",
    "write_atomic",
]


class StorageError(YiyuanError, OSError):
    """The storage could not be read or written (Chinese message)."""


class NotInStorage(StorageError, FileNotFoundError):
    """No object under this key (callers that caught FileNotFoundError still do)."""


def check_key(key: str) -> str:
    """``key`` if it is a safe relative key; ValueError otherwise (keys come from the
    builders or the database: anything else is a bug or tampering, not input)."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"empty storage key {key!r}")
    for part in key.split("/"):
        _check_part(part, key)
    return key


def _check_part(part: str, key: str) -> str:
    # no "..", no absolute paths, no dot names (temporary files are dot names)
    if not part or part.startswith(".") or "\\" in part or "\0" in part or "/" in part:
        raise ValueError(f"unsafe storage key {key!r}")
    return part


def _username(name: str) -> str:
    # usernames come from the platform's accounts (letters, digits, - _ .), checked again here
    if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"unsafe username {name!r}")
    return name


class Storage(ABC):
    """Keys to bytes. Subclasses implement the operations; the key builders are shared."""

    # -- keys ---------------------------------------------------------------------------------

    @staticmethod
    def key(*parts: str) -> str:
        """A key from parts (a folder's key and a name, or path components), checked."""
        return check_key("/".join(str(part) for part in parts))

    def release(self, course: str, module: str, release: int) -> str:
        return self.key(
            "releases",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            f"{int(release)}.tar.gz",
        )

    def compiled(self, course: str, module: str, release: int) -> str:
        """The folder of a release's compiled lessons (yiyuan.catalog.compile)."""
        return self.key(
            "compiled",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            str(int(release)),
        )

    def submission(self, course: str, module: str, username: str, submission_id: int) -> str:
        return self.key(
            "submissions",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            _username(username),
            f"{int(submission_id)}.tar.gz",
        )

    def feedback(self, course: str, module: str, username: str, submission_id: int) -> str:
        """The folder of a submission's feedback pages."""
        return self.key(
            "feedback",
            check_id(course, "课程代码"),
            check_id(module, "单元代码"),
            _username(username),
            str(int(submission_id)),
        )

    # -- operations ---------------------------------------------------------------------------

    @abstractmethod
    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key``, replacing what was there, atomically; its sha256."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The object's bytes; :class:`NotInStorage` when there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Every key under the folder ``prefix`` (all of them for ""), sorted."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object (nothing happens when there is none)."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> None:
        """Remove every object under the folder ``prefix``."""

    @abstractmethod
    def version(self, key: str) -> str | None:
        """A token that changes whenever the object does (None: no object); for caches."""

    @abstractmethod
    def prepare(self) -> None:
        """Make sure the storage is there and reachable (a service calls it when it starts)."""

    def names(self, prefix: str) -> list[str]:
        """The names of the objects directly in the folder ``prefix``."""
        start = len(prefix) + 1
        return [key[start:] for key in self.list(prefix) if "/" not in key[start:]]

    def put_folder(self, prefix: str, files: Mapping[str, bytes]) -> None:
        """Make the folder ``prefix`` hold exactly ``files`` (name → bytes). Each object is put
        atomically and the ones no longer wanted removed afterwards."""
        wanted = {self.key(prefix, name) for name in files}
        for name, data in files.items():
            self.put(self.key(prefix, name), data)
        for key in self.list(prefix):
            if key not in wanted:
                self.delete(key)

    @contextlib.contextmanager
    def local_copy(self, prefix: str) -> Iterator[Path]:
        """The folder ``prefix`` copied to a temporary folder, for tools that need files on
        disk; removed afterwards (changes to it are not stored)."""
        with tempfile.TemporaryDirectory(prefix="yiyuan-storage-") as temporary:
            folder = Path(temporary) / "copy"
            folder.mkdir()
            start = len(prefix) + 1
            for key in self.list(prefix):
                path = folder / key[start:]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.get(key))
            yield folder


def _folder(prefix: str) -> str:
    """A prefix as a folder: "" for everything, else checked and ending in "/" (so that
    ``releases/a`` does not take in ``releases/ab``)."""
    return "" if prefix == "" else check_key(prefix.rstrip("/")) + "/"


class LocalStorage(Storage):
    """Files under ``root``: the layout the platform has always had (``exchange_dir``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """Where the key's file is (never outside the root)."""
        path = self.root / check_key(key)
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the exchange: {key}")
        return path

    def put(self, key: str, data: bytes) -> str:
        return write_atomic(self.path(key), data)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotInStorage(f"存储中没有 {key}。") from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str = "") -> list[str]:
        folder = self.root / _folder(prefix)
        if not folder.is_dir():
            return []
        keys = []
        for directory, subdirectories, files in os.walk(folder):
            # dot names are files being written and folders being replaced
            subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
            base = Path(directory).relative_to(self.root).as_posix()
            keys.extend(f"{base}/{name}" for name in files if not name.startswith("."))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        if _folder(prefix):
            shutil.rmtree(self.path(prefix.rstrip("/")), ignore_errors=True)
            return
        for key in self.list():  # everything: the root and its folders stay
            self.delete(key)

    def version(self, key: str) -> str | None:
        try:
            stat = self.path(key).stat()
        except OSError:
            return None
        return f"{stat.st_mtime_ns}-{stat.st_size}"

    def prepare(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put_folder(self, prefix: str, files: Mapping[str, bytes]) -> None:
        """The folder is replaced whole in one rename: a reader sees the old pages or the new."""
        target = self.path(prefix)
        names = [_check_part(name, name) for name in files]  # one path component each
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            for name in names:
                (staging / name).write_bytes(files[name])
            # written by the grader (root in production), read by the service's user
            os.chmod(staging, 0o755)
            old = None
            if target.exists():
                old = target.with_name(f".{target.name}.old-{os.getpid()}-{threading.get_ident()}")
                os.rename(target, old)
            os.rename(staging, target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def __repr__(self) -> str:
        return f"<LocalStorage {self.root}>"

    def __str__(self) -> str:
        return str(self.root)


class S3Storage(Storage):
    """Objects in ``bucket`` under ``prefix`` on S3-compatible storage at ``endpoint_url``
    (empty: Amazon S3). Credentials come from boto3's own chain (``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, a profile, an instance or pod role), never from the settings."""

    def __init__(self, bucket: str, endpoint_url: str = "", prefix: str = "", region: str = ""):
        if not bucket:
            raise ValueError("S3Storage needs a bucket")
        self.bucket = bucket
        self.endpoint_url = endpoint_url
        self.region = region
        self.prefix = _folder(prefix.strip("/"))

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @property
    def _client(self):
        return _s3_client(self.endpoint_url, self.region)

    @contextlib.contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if key and code in ("NoSuchKey", "404", "NotFound"):
                raise NotInStorage(f"存储中没有 {key}。") from None
            if not key and code in ("NoSuchBucket", "404", "NotFound"):
                raise StorageError(self._problem(key, f"存储桶 {self.bucket} 不存在")) from None
            raise StorageError(self._problem(key, f"{code} {error}")) from None
        except BotoCoreError as error:
            raise StorageError(self._problem(key, str(error))) from None

    def _problem(self, key: str, what: str) -> str:
        return (
            f"对象存储 {self} 读写 {key or '（存储桶）'} 时出错：{what}。"
            "请检查配置项 storage 与访问凭据（AWS_ACCESS_KEY_ID 等环境变量）。"
        )

    def put(self, key: str, data: bytes) -> str:
        import hashlib

        name = self._name(key)
        with self._errors(key):
            self._client.put_object(Bucket=self.bucket, Key=name, Body=data)
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str) -> bytes:
        name = self._name(key)
        with self._errors(key):
            return self._client.get_object(Bucket=self.bucket, Key=name)["Body"].read()

    def exists(self, key: str) -> bool:
        return self.version(key) is not None

    def version(self, key: str) -> str | None:
        name = self._name(key)
        try:
            with self._errors(key):
                head = self._client.head_object(Bucket=self.bucket, Key=name)
        except NotInStorage:
            return None
        return f"{head.get('ETag', '')}-{head.get('ContentLength', '')}"

    def list(self, prefix: str = "") -> list[str]:
        folder = self.prefix + _folder(prefix)
        keys = []
        with self._errors(prefix):
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=folder
            )
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if not any(part.startswith(".") or not part for part in key.split("/")):
                        keys.append(key)
        return sorted(keys)

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._errors(key):
            self._client.delete_object(Bucket=self.bucket, Key=name)

    def delete_prefix(self, prefix: str) -> None:
        keys = self.list(prefix)
        with self._errors(prefix):
            for start in range(0, len(keys), 1000):  # S3's most per request
                batch = [{"Key": self.prefix + key} for key in keys[start : start + 1000]]
                self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )

    def prepare(self) -> None:
        with self._errors(""):
            self._client.head_bucket(Bucket=self.bucket)

    def __repr__(self) -> str:
        return f"<S3Storage {self} at {self.endpoint_url or 'aws'}>"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


_clients: dict[tuple[int, str, str], object] = {}
_clients_lock = threading.Lock()


def _s3_client(endpoint_url: str, region: str):
    """One boto3 client per process and endpoint: clients are thread-safe but hold
    connections, which must not cross a fork (the service forks its processes)."""
    key = (os.getpid(), endpoint_url, region)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3  # only processes that use S3 pay for the import
            from botocore.config import Config

            config = Config(
                # S3-compatible stores (MinIO, Ceph, moto) serve buckets by path
                s3={"addressing_style": "path"} if endpoint_url else {},
                retries={"mode": "standard", "max_attempts": 5},
                # the newer default checksums are not understood by every S3-compatible store
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
            )
            _clients[key] = client
    return client
