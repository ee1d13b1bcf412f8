"""The exchange's pieces that need no hub: module folders, packing, deadlines, the client's
configuration errors, the plugin selected by the shipped nbgrader config."""

from __future__ import annotations

import importlib
import io
import json
import re
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest

from yiyuan.completion.lateness import deadline
from yiyuan.exchange import archives
from yiyuan.exchange.client import ServiceClient, ServiceError
from yiyuan.exchange.modulefolder import MARKER, ModuleRef, module_of, pack_module, write_marker
from yiyuan.exchange.names import BadName

CONFIG_DIR = Path(str(files("yiyuan.exchange").joinpath("jupyter_config")))


def names(data: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {member.name for member in archive}


def test_packing_keeps_answers_and_leaves_out_what_nbgrader_leaves_out(tmp_path):
    folder = tmp_path / "shufa-jianshang" / "kaishu-ziti"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / "feedback" / "2026-01-01 00:00:00.000000 UTC").mkdir(parents=True)
    (folder / "images").mkdir()
    (folder / "kaishu-ziti.ipynb").write_text("{}")
    (folder / "answers.json").write_text('{"version": 1, "answers": {}}')
    (folder / "images" / "bei.png").write_bytes(b"png")
    (folder / ".ipynb_checkpoints" / "kaishu-ziti-checkpoint.ipynb").write_text("{}")
    (folder / "feedback" / "2026-01-01 00:00:00.000000 UTC" / "kaishu-ziti.html").write_text("x")
    (folder / "timestamp.txt").write_text("2001-01-01 00:00:00.000000 UTC")
    (folder / "big.wav").write_bytes(b"0" * 3000)
    write_marker(folder, ModuleRef("shufa-jianshang", "kaishu-ziti", 3))
    data = pack_module(folder, max_file_kb=2)
    assert names(data) == {"kaishu-ziti.ipynb", "answers.json", "images/bei.png"}


def test_a_module_folder_knows_its_module(tmp_path):
    folder = tmp_path / "yinyue-jichu" / "jiezou-jiepai"
    folder.mkdir(parents=True)
    assert module_of(folder) == ModuleRef("yinyue-jichu", "jiezou-jiepai", 0)
    moved = tmp_path / "Downloads" / "copy"
    moved.mkdir(parents=True)
    with pytest.raises(BadName):
        module_of(moved)
    write_marker(moved, ModuleRef("yinyue-jichu", "jiezou-jiepai", 2))
    assert module_of(moved) == ModuleRef("yinyue-jichu", "jiezou-jiepai", 2)
    (moved / MARKER).write_text(json.dumps({"course_id": "../etc", "assignment_id": "x"}))
    with pytest.raises(BadName):  # a damaged marker is not trusted; the path is no better
        module_of(moved)


def test_late_means_after_the_due_day_in_shanghai():
    due = datetime(2027, 4, 30, tzinfo=UTC)  # a date stored as midnight UTC
    end = deadline(due)
    assert end == datetime(2027, 4, 30, 16, 0, tzinfo=UTC)  # 2027-05-01 00:00 +08:00
    assert deadline(datetime(2027, 4, 29, 16, 0, tzinfo=UTC)) == end  # midnight +08:00
    assert deadline(None) is None


def test_the_client_says_what_is_missing(monkeypatch):
    monkeypatch.delenv("YIYUAN_SERVICE_URL", raising=False)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "x")
    with pytest.raises(ServiceError, match="YIYUAN_SERVICE_URL"):
        ServiceClient()
    monkeypatch.setenv("YIYUAN_SERVICE_URL", "http://127.0.0.1:9/services/yiyuan")
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    with pytest.raises(ServiceError, match="令牌"):
        ServiceClient()
    client = ServiceClient(token="x")
    with pytest.raises(ServiceError, match="无法连接平台服务"):
        client.assignments()


def test_unpack_refuses_what_could_escape(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(archives.ArchiveError, match=re.escape("“..”")):
        archives.unpack(buffer.getvalue(), tmp_path / "out", 1000)
    assert not (tmp_path / "out").exists() and not (tmp_path / "escape.txt").exists()


def test_the_shipped_config_selects_every_plugin_class(tmp_path):
    """nbgrader itself, reading only the config folder the spawner points at."""
    code = (
        "from nbgrader.apps import NbGrader\n"
        "from nbgrader.exchange import ExchangeFactory\n"
        "app = NbGrader(); app.initialize([]); f = ExchangeFactory(parent=app)\n"
        "print(' '.join(getattr(f, n).__module__ + '.' + getattr(f, n).__name__ for n in "
        "['exchange', 'fetch_assignment', 'fetch_feedback', 'release_assignment', "
        "'release_feedback', 'list', 'submit', 'collect']))\n"
    )
    env = {"JUPYTER_CONFIG_PATH": str(CONFIG_DIR), "HOME": str(tmp_path), "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    selected = result.stdout.split()
    expected = [
        ("base", "Exchange"),
        ("plugin", "ExchangeFetchAssignment"),
        ("plugin", "ExchangeFetchFeedback"),
        ("trainer_commands", "ExchangeReleaseAssignment"),
        ("trainer_commands", "ExchangeReleaseFeedback"),
        ("plugin", "ExchangeList"),
        ("plugin", "ExchangeSubmit"),
        ("trainer_commands", "ExchangeCollect"),
    ]
    assert selected == [f"yiyuan.exchange.{module}.{name}" for module, name in expected]
    for module, name in expected:  # and each is nbgrader's interface
        from nbgrader.exchange import abc

        found = getattr(importlib.import_module(f"yiyuan.exchange.{module}"), name)
        assert issubclass(found, getattr(abc, name))


def test_packing_chooses_files_as_stock_nbgrader_copies_them(tmp_path):
    """include / ignore / max_file_size as nbgrader's own exchange applies them (its
    ``ignore_patterns`` in a copytree), a kB being 1,000 bytes: a 2,020-byte file is over
    2 kB there, and here. The answers file is sent whatever include says."""
    import shutil

    from nbgrader.utils import ignore_patterns

    folder = tmp_path / "kecheng" / "danyuan"
    (folder / "data").mkdir(parents=True)
    for name, size in (
        ("danyuan.ipynb", 10),
        ("notes.txt", 10),
        ("data/table.csv", 10),
        ("data/big.csv", 2020),  # over 2 kB of 1,000 bytes, under 2 KiB
        ("data/cache.pyc", 10),
        ("answers.json", 10),
    ):
        (folder / name).write_bytes(b"0" * size)
    ignore, include = [".ipynb_checkpoints", "*.pyc"], ["*.ipynb", "*.csv"]
    copied = tmp_path / "stock"
    shutil.copytree(
        folder, copied, ignore=ignore_patterns(exclude=ignore, include=include, max_file_size=2)
    )
    stock = {p.relative_to(copied).as_posix() for p in copied.rglob("*") if p.is_file()}
    ours = names(pack_module(folder, ignore, 2, include))
    assert stock == {"danyuan.ipynb", "data/table.csv"}
    assert ours == stock | {"answers.json"}
