"""Tokens the hub and the platform's own commands share, kept as files in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def service_token(data_dir: Path, name: str) -> str:
    """The API token of hub service ``name``: read it, or make it once (mode 0600)."""
    folder = data_dir / "secrets"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{name}.token"
    try:
        token = path.read_text().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    token = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token)
    return token
