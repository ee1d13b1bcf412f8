"""The one error of this package: a sentence saying why a certificate cannot be as asked."""

from ..errors import YiyuanError


class CertificateError(YiyuanError):
    """A certificate cannot be issued, shown or revoked as asked; the sentence says why."""
