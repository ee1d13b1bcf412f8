"""Rosters uploaded in the browser, kept on disk between preview and confirmation.

Each upload is a folder ``<data_dir>/roster-uploads/<token>/`` (0700, files 0600: they hold
mobile numbers and passwords) with the file under its checked original name, ``meta.json``
(who, when, options, state), the preview and result as JSON, the error report, and the initial
passwords until they are downloaded — once: they are then deleted. Tokens are random and
checked against a strict pattern before any path is built from them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..db import Database
from ..errors import YiyuanError
from . import rosterimport
from .importer import ImportResult
from .spreadsheets import write_error_report, write_passwords

TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
SUFFIXES = (".xlsx", ".csv")
NAME_MAX_CHARS = 120
PREVIEWED, IMPORTING, IMPORTED, FAILED = "previewed", "importing", "imported", "failed"
#: uploads (rosters with full mobile numbers, error reports, unclaimed passwords) are removed
#: this many days after their last change, at the next upload
KEEP_DAYS = 30


class UploadRefused(YiyuanError):
    """The upload's name or content is not a roster we accept; the message says why."""


class UploadNotFound(YiyuanError):
    pass


class AlreadyConfirmed(YiyuanError):
    pass


class PasswordsGone(YiyuanError):
    pass


def root(data_dir: Path) -> Path:
    return Path(data_dir) / "roster-uploads"


def check_name(name: str) -> str:
    """The original file name, if it is a plain .xlsx/.csv name (no folders, no tricks)."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise UploadRefused("缺少文件名：请选择要上传的名册文件。")
    if len(name) > NAME_MAX_CHARS:
        raise UploadRefused(f"文件名超过 {NAME_MAX_CHARS} 个字符：请改短后再上传。")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise UploadRefused("文件名中含有控制字符：请改名后再上传。")
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise UploadRefused(f"文件名“{name}”不可用（不能含有路径或“..”）：请改名后再上传。")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadRefused(
            f"只能上传 .xlsx 或 .csv 名册，“{name}”不是：请在 Excel 中另存为 .xlsx。"
        )
    return name


def check_content(name: str, data: bytes) -> None:
    """The bytes are what the name says (the full reading happens in the preview)."""
    if not data:
        raise UploadRefused(f"文件 {name} 是空的（0 字节）：请检查是否选错了文件。")
    if name.lower().endswith(".xlsx"):
        if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise UploadRefused(
                f"文件 {name} 不是有效的 Excel（.xlsx）文件：请用 Excel 打开后另存为 .xlsx 再上传。"
            )
        return
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise UploadRefused(
            f"文件 {name} 实际上是 Excel 文件，不是 CSV：请把扩展名改为 .xlsx，或另存为 CSV。"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return
        except UnicodeDecodeError:
            continue
    raise UploadRefused(
        f"文件 {name} 不是 UTF-8 或 GBK 编码的文本 CSV：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"
        "或 .xlsx 后再上传。"
    )


@dataclass
class Meta:
    token: str
    uploader: str
    name: str
    uploaded_at: str
    deactivate_missing: bool
    state: str = PREVIEWED
    confirmed_by: str = ""
    confirmed_at: str = ""


@dataclass
class Upload:
    folder: Path
    meta: Meta

    @property
    def token(self) -> str:
        return self.meta.token

    @property
    def file(self) -> Path:
        return self.folder / self.meta.name

    @property
    def error_report(self) -> Path:
        return self.folder / "error-report.xlsx"

    @property
    def passwords(self) -> Path:
        return self.folder / "passwords.xlsx"

    def save_meta(self) -> None:
        _write(self.folder / "meta.json", json.dumps(asdict(self.meta), ensure_ascii=False))

    def save_json(self, kind: str, data: dict) -> None:
        """``kind`` is "preview" or "result"."""
        _write(self.folder / f"{kind}.json", json.dumps(data, ensure_ascii=False, default=str))

    def load_json(self, kind: str) -> dict | None:
        path = self.folder / f"{kind}.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def claim_confirmation(self) -> None:
        """Exactly one confirmation wins, across requests and processes."""
        try:
            os.close(
                os.open(self.folder / "confirmed", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            )
        except FileExistsError:
            raise AlreadyConfirmed("这份名册已经确认导入过了，不能再次导入。") from None

    def take_passwords(self) -> bytes:
        """The passwords file's bytes, then it is gone: the rename makes sure two requests
        cannot both get it."""
        taken = self.folder / f".passwords-{secrets.token_hex(8)}"
        try:
            os.rename(self.passwords, taken)
        except FileNotFoundError:
            raise PasswordsGone(
                "初始密码已下载过一次，平台不再保存。如需重新设置请在会员页面重置密码。"
            ) from None
        try:
            return taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)

    def as_json(self) -> dict:
        meta = self.meta
        return {
            "token": meta.token,
            "file": meta.name,
            "uploaded_by": meta.uploader,
            "uploaded_at": meta.uploaded_at,
            "deactivate_missing": meta.deactivate_missing,
            "state": meta.state,
            "confirmed_by": meta.confirmed_by,
            "confirmed_at": meta.confirmed_at,
            "preview": self.load_json("preview"),
            "result": self.load_json("result"),
            "error_report": self.error_report.exists(),
            "passwords_available": self.passwords.exists(),
        }


def create(
    data_dir: Path, uploader: str, name: str, data: bytes, deactivate_missing: bool
) -> Upload:
    """Store an upload whose name and content are checked (raises :class:`UploadRefused`)."""
    name = check_name(name)
    check_content(name, data)
    base = root(data_dir)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    prune(data_dir)
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]
    folder = base / token
    folder.mkdir(mode=0o700)
    upload = Upload(
        folder,
        Meta(
            token=token,
            uploader=uploader,
            name=name,
            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            deactivate_missing=deactivate_missing,
        ),
    )
    _write(upload.file, data)
    upload.save_meta()
    return upload


def preview(database: Database, city: str, upload: Upload, actor: str) -> dict:
    """The dry run of a stored upload: what would change and every rejected row (raises
    :class:`~.roster.RosterUnreadable` when the file cannot be read at all)."""
    checked = rosterimport.check(database, city, upload.file)
    outcome = rosterimport.apply(
        database,
        checked,
        actor=actor,
        dry_run=True,
        deactivate_missing=upload.meta.deactivate_missing,
    )
    if outcome.errors:
        write_error_report(checked.roster, outcome.errors, upload.error_report)
    data = outcome.as_json()
    upload.save_json("preview", data)
    return data


def confirm(database: Database, city: str, upload: Upload, actor: str) -> dict:
    """The real import of a previewed upload, once (:class:`AlreadyConfirmed` after that).

    The file is read and checked again: the stored roster may have changed since the preview,
    which is fine, since applying rows is idempotent. The initial passwords of every account
    made are kept for one download, also when the import fails half-way."""
    upload.claim_confirmation()
    meta = upload.meta
    meta.state, meta.confirmed_by = IMPORTING, actor
    meta.confirmed_at = datetime.now(UTC).isoformat(timespec="seconds")
    upload.save_meta()
    result = ImportResult()
    try:
        checked = rosterimport.check(database, city, upload.file)
        outcome = rosterimport.apply(
            database,
            checked,
            actor=actor,
            deactivate_missing=meta.deactivate_missing,
            result=result,
        )
    except BaseException:
        meta.state = FAILED
        upload.save_meta()
        raise
    finally:
        if result.passwords:
            write_passwords(upload.passwords, result.passwords)
    if outcome.errors:
        write_error_report(checked.roster, outcome.errors, upload.error_report)
    data = outcome.as_json()
    upload.save_json("result", data)
    meta.state = IMPORTED
    upload.save_meta()
    return data


def find(data_dir: Path, token: str) -> Upload:
    if not TOKEN.fullmatch(token or ""):
        raise UploadNotFound("找不到这次上传：链接不完整或已失效，请重新上传名册。")
    folder = root(data_dir) / token
    try:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
    except FileNotFoundError:
        raise UploadNotFound("找不到这次上传：链接不完整或已失效，请重新上传名册。") from None
    return Upload(folder, Meta(**meta))


def recent(data_dir: Path, limit: int = 10) -> list[Upload]:
    """The newest uploads first (to come back to a preview or to the passwords)."""
    base = root(data_dir)
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        meta = folder / "meta.json"
        if TOKEN.fullmatch(folder.name) and meta.is_file():
            found.append((meta.stat().st_mtime, folder.name))
    items = []
    for _, token in sorted(found, reverse=True)[:limit]:
        try:
            items.append(find(data_dir, token))
        except (UploadNotFound, ValueError, TypeError):
            continue  # half-written or from another version: not worth a failed page
    return items


def prune(data_dir: Path, keep_days: int = KEEP_DAYS, now: float | None = None) -> int:
    """Remove uploads untouched for ``keep_days`` (personal data is not kept for ever);
    returns how many were removed."""
    base = root(data_dir)
    if not base.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - keep_days * 86400
    removed = 0
    for folder in base.iterdir():
        meta = folder / "meta.json"
        if TOKEN.fullmatch(folder.name) and meta.is_file() and meta.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def discard(upload: Upload) -> None:
    """Remove an upload that was refused after it was stored."""
    shutil.rmtree(upload.folder, ignore_errors=True)


def _write(path: Path, data: bytes | str) -> None:
    """Written whole or not at all, readable by the service's user only."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)
