"""Docs that cannot drift: settings, commands and example files checked against the code."""

import dataclasses
import re
import typing

import pytest

from hubtest import ROOT
from yiyuan.cli.reference import render_markdown
from yiyuan.settings import Settings, load_settings


def setting_names(cls=Settings, prefix=""):
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[field.name]):
            yield from setting_names(hints[field.name], f"{prefix}{field.name}.")
        else:
            yield prefix + field.name


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z][a-z0-9_.]*)`", text))  # s3_bucket
    names = set(setting_names())
    assert {"hub.port", "auth.lockout_minutes", "culler.idle_timeout", "data_dir"} <= names
    missing = sorted(names - documented)
    assert missing == [], f"settings missing from docs/configuration.md: {missing}"
    for variable in ("YIYUAN_CONFIG", "YIYUAN_DATA_DIR", "YIYUAN_DB_URL"):
        assert variable in text


def test_command_reference_is_current():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert text == render_markdown(), "run: python -m yiyuan.cli.reference > docs/cli.md"


@pytest.mark.parametrize("name", ["deploy/yiyuan.production.yml"])
def test_example_settings_files_load(name):
    settings = load_settings({"YIYUAN_CONFIG": str(ROOT / name)})
    assert settings.mode == "production"


def test_readme_quick_start_and_links():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for link in re.findall(r"\]\(((?:docs|deploy)/[^)#]+)", readme):
        assert (ROOT / link).exists(), f"README links to missing {link}"
