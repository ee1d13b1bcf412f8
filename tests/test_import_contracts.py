"""The import contracts (.importlinter) hold on this tree, and break when a forbidden import is
added: each break is made in a temporary copy of the package, which the checker reads instead
of the installed one (PYTHONPATH comes before the editable install on sys.path)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hubtest import ROOT

LINT_IMPORTS = Path(ROOT / ".venv" / "bin" / "lint-imports")
PACKAGE = ROOT / "extensions" / "yiyuan"


def lint(config: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """A copy of the package to break, one module per test (the copy is rebuilt per test)."""
    return tmp_path_factory.mktemp("contracts")


def broken_copy(folder: Path, module: str, line: str) -> Path:
    target = folder / "src"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(PACKAGE, target / "yiyuan", ignore=shutil.ignore_patterns("__pycache__"))
    path = target / "yiyuan" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return target


def test_every_contract_holds_on_this_tree():
    result = lint(ROOT / ".importlinter")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # a lower floor reaching up into the web service
        ("grading/queue.py", "from ..service import base", "Floors"),
        # two parts of one floor that must stay independent
        ("teaching/progress.py", "from ..cohorts import common", "Floors"),
        # the lesson widgets (learners' kernels) reaching the database, even indirectly
        ("lesson/text.py", "from ..members import directory", "learners' and trainers' servers"),
        ("exchange/names.py", "import sqlalchemy", "learners' and trainers' servers"),
        # a dashboard querying a model itself
        ("dashboards/charts.py", "from ..models import Account", "report layer"),
        # a domain rule depending on the web framework
        ("completion/hours.py", "import tornado.web", "knows nothing of the web"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(copy, module, line, contract):
    source = broken_copy(copy, module, line)
    result = lint(ROOT / ".importlinter", pythonpath=source)
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    assert module.replace("/", ".").removesuffix(".py") in broken, result.stdout
