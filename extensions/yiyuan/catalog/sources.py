"""Where a course's sources are read from when it is published.

Two places hold course sources in the layout ``<id>.yml`` + ``notebooks/<id>/<module>/``:
the platform's ``courses_dir`` (kept by administrators, e.g. a git checkout; the demo's
``courses/``) and ``<data_dir>/course-sources`` (what trainers upload from their JupyterLab).
A course uploaded by a trainer is published from the upload; every other course from
``courses_dir``. Both the CLI and the web publish through :func:`settings_for`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ..settings import Settings

UPLOADED = "course-sources"


def uploaded_dir(settings: Settings) -> Path:
    return settings.data_dir / UPLOADED


def is_uploaded(settings: Settings, code: str) -> bool:
    return (uploaded_dir(settings) / f"{code}.yml").is_file()


def source_root(settings: Settings, code: str) -> Path:
    """The folder holding ``<code>.yml`` to publish from."""
    return uploaded_dir(settings) if is_uploaded(settings, code) else settings.courses_dir


def settings_for(settings: Settings, code: str) -> Settings:
    """``settings`` with ``courses_dir`` pointing at the course's sources."""
    root = source_root(settings, code)
    return (
        settings
        if root == settings.courses_dir
        else dataclasses.replace(settings, courses_dir=root)
    )


def all_codes(settings: Settings) -> list[str]:
    """Every course code with sources in either place."""
    codes = set()
    for folder in (settings.courses_dir, uploaded_dir(settings)):
        if folder.is_dir():
            codes |= {p.stem for p in folder.glob("*.yml") if p.is_file()}
    return sorted(codes)


# -- uploads from trainers (service/authoring_handlers.py) -----------------------------------

HISTORY = ".history"


def history_dir(settings: Settings, code: str) -> Path:
    """Earlier uploads of a course, one folder per replaced upload (UTC time, sortable)."""
    return uploaded_dir(settings) / HISTORY / code


def store_upload(settings: Settings, code: str, incoming: Path) -> str | None:
    """Put ``incoming/<code>.yml`` and ``incoming/notebooks/<code>/`` in place of the course's
    uploaded sources; the previous upload moves to :func:`history_dir`. Returns the name of the
    history folder, or None for a first upload.

    ``incoming`` must be on the same file system (a hidden folder in :func:`uploaded_dir`):
    every step is a rename, so no file is ever half-written; the notebooks folder is swapped
    first and the manifest last (``os.replace``), so a first upload becomes visible only when
    it is complete. Callers serialise uploads of one course and publish after storing.
    """
    root = uploaded_dir(settings)
    manifest, notebooks = root / f"{code}.yml", root / "notebooks" / code
    new_manifest, new_notebooks = incoming / f"{code}.yml", incoming / "notebooks" / code
    stamp = None
    if manifest.exists() or notebooks.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        kept = history_dir(settings, code) / stamp
        (kept / "notebooks").mkdir(parents=True)
        if manifest.exists():
            shutil.copy2(manifest, kept / manifest.name)
        if notebooks.exists():
            os.rename(notebooks, kept / "notebooks" / code)
    notebooks.parent.mkdir(parents=True, exist_ok=True)
    if new_notebooks.is_dir():
        os.rename(new_notebooks, notebooks)
    else:
        notebooks.mkdir()
    os.replace(new_manifest, manifest)
    return stamp
