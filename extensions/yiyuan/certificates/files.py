"""Where certificate PDFs are kept, and what an administrator downloads in bulk.

A PDF is rendered the first time someone asks for it and kept in the platform's storage as
``certificates/<year>/<serial>.pdf`` (yiyuan.storage: written atomically; the serial never
changes what it says, so the file never goes stale: a name correction is a new serial). The ZIP and
the register (登记册, Excel) are built from the rows on each request.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from ..clock import local_zone
from ..models import Certificate
from ..platform import open_storage
from ..reports.export import to_xlsx_bytes
from ..reports.table import Column, Table
from ..settings import Settings
from ..storage import NotInStorage, Storage
from . import document
from .serials import PATTERN

REGISTER_COLUMNS = (
    Column("serial", "证书编号", "text"),
    Column("title", "证书", "text"),
    Column("name", "姓名", "text"),
    Column("username", "用户名", "text"),
    Column("association", "协会", "text"),
    Column("subject", "课程或期次", "text"),
    Column("hours", "学时", "hours"),
    Column("achieved_on", "完成日期", "date"),
    Column("issued_at", "颁发时间", "text"),
    Column("issued_by", "颁发方式", "text"),
    Column("state", "状态", "text"),
    Column("revoked_reason", "撤销原因", "text"),
)


def key_of(storage: Storage, serial: str) -> str:
    """Where the serial's PDF is kept in storage."""
    match = PATTERN.match(serial)
    if match is None:  # a serial comes from the database; anything else is a bug, not input
        raise ValueError(f"not a serial: {serial!r}")
    return storage.key("certificates", match.group(1), f"{serial}.pdf")


def pdf_of(settings: Settings, certificate: Certificate) -> bytes:
    """The PDF, rendered and kept the first time (raises CertificateError if unprintable)."""
    storage = open_storage(settings)
    key = key_of(storage, certificate.serial)
    try:
        return storage.get(key)
    except NotInStorage:
        pass
    data = document.render(certificate, settings)
    storage.put(key, data)
    return data


def file_name(certificate: Certificate) -> str:
    """``结业证书-书法鉴赏入门-王明-2026-ZS-000123-….pdf`` (what a downloaded file is called)."""
    safe = "".join(c for c in f"{certificate.subject}-{certificate.name}" if c not in '/\\:*?"<>|')
    return f"{certificate.title}-{safe}-{certificate.serial}.pdf"


def zip_of(settings: Settings, certificates: Sequence[Certificate]) -> tuple[bytes, list[str]]:
    """A ZIP of these certificates' PDFs and the sentences for those that could not be made."""
    buffer, problems = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bundle:
        for certificate in certificates:
            try:
                bundle.writestr(file_name(certificate), pdf_of(settings, certificate))
            except document.CertificateError as error:
                problems.append(f"{certificate.serial}：{error}")
        if problems:
            bundle.writestr("未能生成的证书.txt", "\n".join(problems) + "\n")
    return buffer.getvalue(), problems


def register(certificates: Sequence[Certificate], title: str) -> bytes:
    """The register (证书登记册) as an Excel workbook, one row per certificate."""
    rows = [
        {
            "serial": c.serial,
            "title": c.title,
            "name": c.name,
            "username": c.account.username if c.account else "",
            "association": c.association,
            "subject": c.subject,
            "hours": c.hours,
            "achieved_on": c.achieved_on,
            "issued_at": f"{c.issued_at.astimezone(local_zone()):%Y-%m-%d %H:%M}",
            "issued_by": f"管理员 {c.issued_by}" if c.issued_by else "完成时自动颁发",
            "state": "有效" if c.revoked_at is None else "已撤销",
            "revoked_reason": c.revoked_reason,
        }
        for c in certificates
    ]
    return to_xlsx_bytes([Table(title, REGISTER_COLUMNS, rows)], title=title)
