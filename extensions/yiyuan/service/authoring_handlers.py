"""Course sources uploaded from a trainer's JupyterLab, published through the catalogue."""

from __future__ import annotations

routes: list = []
