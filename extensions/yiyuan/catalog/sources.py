"""Where a course's sources are read from when it is published.

Two places hold course sources in the layout ``<id>.yml`` + ``notebooks/<id>/<module>/``:
the platform's ``courses_dir`` (kept by administrators, e.g. a git checkout; the demo's
``courses/``) and ``<data_dir>/course-sources`` (what trainers upload from their JupyterLab).
A course uploaded by a trainer is published from the upload; every other course from
``courses_dir``. Both the CLI and the web publish through :func:`settings_for`.
"""

from __future__ import annotations

import dataclasses
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
