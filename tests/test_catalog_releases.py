"""Storing module releases: new only when the archive changed, never an answer key, never an
unsafe archive."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from learningdata import course
from yiyuan.catalog.releases import ReleaseError, store_release, withdraw_release
from yiyuan.db import Database, migrate
from yiyuan.exchange.archives import pack
from yiyuan.storage import LocalStorage

MAX = 10 * 1024 * 1024


def lesson_folder(tmp_path, text="第一课", extra=None):
    folder = tmp_path / "release"
    folder.mkdir(exist_ok=True)
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}]}
    (folder / "lesson.ipynb").write_text(json.dumps(notebook, ensure_ascii=False), "utf-8")
    for name, content in (extra or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content, "utf-8")
    return folder


def tar_with(name: str, content: bytes = b"x", kind=tarfile.REGTYPE) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.type = kind
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
            archive.addfile(info)
        else:
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_release_only_when_changed(database, tmp_path):
    storage = LocalStorage(tmp_path / "exchange")
    with database.session() as session:
        module = course(session, "c1", modules=[{"code": "m1"}]).modules[0]
        first = pack(lesson_folder(tmp_path))
        assert store_release(session, storage, module, first, MAX)
        assert (module.release, module.released_at is not None) == (1, True)
        path = tmp_path / "exchange" / "releases" / "c1" / "m1" / "1.tar.gz"
        assert path.read_bytes() == first
        # packing the same files again gives the same bytes: nothing new
        assert not store_release(session, storage, module, pack(lesson_folder(tmp_path)), MAX)
        assert module.release == 1
        # a lost file is put back under the same number
        path.unlink()
        assert not store_release(session, storage, module, first, MAX)
        assert path.read_bytes() == first
        changed = pack(lesson_folder(tmp_path, "第一课（修订）"))
        assert store_release(session, storage, module, changed, MAX)
        assert module.release == 2
        assert path.read_bytes() == first  # the earlier release stays for those who have it
        assert path.with_name("2.tar.gz").read_bytes() == changed
        # withdrawn: not offered, files kept; listed again unchanged: offered again
        withdraw_release(session, module)
        assert module.released_at is None and path.with_name("2.tar.gz").is_file()
        assert not store_release(session, storage, module, changed, MAX)
        assert module.released_at is not None and module.release == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (tar_with("sub/answers.json", b"{}"), "answers.json"),
        (tar_with("answers.json", b"{}"), "answers.json"),
        (tar_with("../escape.ipynb"), "“..”"),
        (tar_with("/etc/cron.d/x"), "绝对路径"),
        (tar_with("link", kind=tarfile.SYMTYPE), "链接"),
        (b"not an archive", "不是有效的压缩包"),
        (tar_with("lesson.ipynb", b'{"source": "### BEGIN HIDDEN TESTS\\nexpect()"}'), "隐藏测试"),
        (tar_with("big.bin", b"0" * (MAX + 1)), "MB"),
    ],
)
def test_refused_archives_change_nothing(tmp_path, data, message):
    # the checks do not depend on the database: SQLite only, to keep the suite quick
    database = Database(f"sqlite:///{tmp_path / 'yiyuan.sqlite'}")
    migrate.upgrade(database)
    storage = LocalStorage(tmp_path / "exchange")
    with database.session() as session:
        module = course(session, "c1", modules=[{"code": "m1"}]).modules[0]
        with pytest.raises(ReleaseError, match=message) as raised:
            store_release(session, storage, module, data, MAX)
        assert str(raised.value).startswith("单元 c1/m1 的发布包")
        assert (module.release, module.release_checksum, module.released_at) == (0, "", None)
        assert not (tmp_path / "exchange").exists()
