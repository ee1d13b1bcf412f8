"""The PDF of a certificate or statement: HTML and CSS laid out by WeasyPrint, QR by segno.

Set in Noto Serif CJK; :func:`render` refuses a name the font cannot print (``fonts``).
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..clock import local_zone
from ..models import Certificate
from ..settings import IssuerSettings, Settings
from . import fonts
from .errors import CertificateError

TEMPLATES = Path(__file__).parent / "templates"
DEMO_SEAL = TEMPLATES / "demo-seal.svg"

_templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


@dataclass(frozen=True)
class Issuer:
    name: str
    seal: Path | None
    signatory: str
    signatory_title: str


def issuer_of(settings: Settings, code: str) -> Issuer:
    """The signing body named by ``code`` ("" or unknown: the first in settings)."""
    issuers = settings.certificates.issuers
    chosen: IssuerSettings = next((i for i in issuers if i.code == code), issuers[0])
    name = chosen.name.strip() or settings.federation_name
    if not chosen.name.strip() and not name.startswith(settings.city):
        name = settings.city + name  # 深圳市 + 文学艺术界联合会
    return Issuer(
        name=name,
        seal=Path(chosen.seal) if chosen.seal else DEMO_SEAL,
        signatory=chosen.signatory,
        signatory_title=chosen.signatory_title,
    )


def verify_url(settings: Settings, serial: str) -> str:
    base = settings.certificates.public_url.strip().rstrip("/")
    if not base:
        base = f"http://{settings.hub.ip}:{settings.hub.port}"
    return f"{base}/services/yiyuan/verify/{serial}"


def check_printable(certificate: Certificate) -> None:
    """Refuse, in a sentence, a name (or subject) the font would print as empty boxes."""
    fonts.check_printable(姓名=certificate.name, 证书内容=certificate.subject)


def render(certificate: Certificate, settings: Settings) -> bytes:
    """The PDF (A4 landscape for a certificate, portrait for a statement)."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    check_printable(certificate)
    issuer = issuer_of(settings, certificate.issuer)
    url = verify_url(settings, certificate.serial)
    values = {
        "c": certificate,
        "issuer": issuer,
        "seal": _data_uri(issuer.seal),
        "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=0, dark="#2b2118"),
        "verify_url": url,
        "day": chinese_day(certificate.achieved_on),
        "issued_day": chinese_day(certificate.issued_at.astimezone(local_zone()).date()),
        "hours": _hours(certificate.hours),
        "site_name": settings.site_name,
    }
    if certificate.kind == "hours":
        detail = certificate.detail or {}
        lines = detail.get("lines", [])
        values.update(
            year=detail.get("year", certificate.achieved_on.year),
            lines=lines,
            more=max(0, int(detail.get("count", len(lines))) - len(lines)),
        )
        template = "statement.html"
    else:
        values["courses"] = "、".join((certificate.detail or {}).get("courses", []))
        template = "certificate.html"
    html = _templates.get_template(template).render(**values)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


def _data_uri(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        data = path.read_bytes()
    except OSError:
        raise CertificateError(
            f"找不到印章图片 {path}：请检查配置项 certificates.issuers 的 seal。"
        ) from None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def chinese_day(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _hours(hours: float) -> str:
    return f"{hours:.1f}".removesuffix(".0")
