"""The exchange's storage behind one interface (yiyuan.storage): one conformance suite run
against both backends, the local folder and S3-compatible object storage (moto's S3 server,
started on a free loopback port for this module and stopped after it); then the platform's
own flow with ``storage.backend: s3``: publish, compile, submit, grade, feedback and a
certificate, all into the bucket and nothing into ``exchange_dir``."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
import tarfile
import threading
import uuid

import pytest

from yiyuan.errors import SettingsError, YiyuanError
from yiyuan.exchange.names import BadName
from yiyuan.platform import Platform, open_storage
from yiyuan.settings import StorageSettings, load_settings
from yiyuan.storage import LocalStorage, NotInStorage, S3Storage, Storage, StorageError

#: boto3 reads credentials from the environment; moto takes any
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    "AWS_CONFIG_FILE": "/nonexistent/config",
}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, with test credentials in the environment."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


def new_bucket(endpoint: str) -> str:
    import boto3

    name = f"yiyuan-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


def bucket_keys(endpoint: str, bucket: str) -> list[str]:
    """What is in the bucket, asked of S3 directly (not through the code under test)."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "exchange")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(new_bucket(endpoint), endpoint_url=endpoint, prefix="platform/one")


# -- the conformance suite, both backends ---------------------------------------------------


def test_put_get_exists_and_version(storage):
    key = storage.release("shufa-jianshang", "shuti-yanbian", 1)
    assert key == "releases/shufa-jianshang/shuti-yanbian/1.tar.gz"
    assert not storage.exists(key) and storage.version(key) is None
    data = b"\x1f\x8b release" * 100
    assert storage.put(key, data) == hashlib.sha256(data).hexdigest()
    assert storage.get(key) == data and storage.exists(key)
    first = storage.version(key)
    assert first is not None
    storage.put(key, b"changed, and longer than before")
    assert storage.get(key) == b"changed, and longer than before"
    assert storage.version(key) != first


def test_get_of_a_missing_key_is_a_clear_error(storage):
    key = storage.submission("shufa-jianshang", "shuti-yanbian", "wangfang", 7)
    with pytest.raises(NotInStorage, match="存储中没有 submissions/shufa-jianshang") as caught:
        storage.get(key)
    # callers that caught FileNotFoundError (or OSError) keep working
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, YiyuanError)
    storage.delete(key)  # deleting nothing is no error


def test_a_reader_sees_a_whole_object_or_the_one_before(storage):
    key = storage.compiled("shufa-jianshang", "shuti-yanbian", 1) + "/lessons.json"
    versions = [bytes([65 + n]) * (2 * 1024 * 1024) for n in range(2)]
    storage.put(key, versions[0])
    seen: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(storage.get(key))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(12):
            storage.put(key, versions[n % 2])
    finally:
        done.set()
        reader.join()
    assert seen and all(data in versions for data in seen)


def test_list_is_recursive_sorted_and_keeps_to_its_folder(storage):
    for key in (
        "releases/aa/m1/1.tar.gz",
        "releases/aa/m1/2.tar.gz",
        "releases/aa/m2/1.tar.gz",
        "releases/aab/m1/1.tar.gz",  # a sibling whose name starts the same
        "feedback/aa/m1/wangfang/1/m1.html",
    ):
        storage.put(key, key.encode())
    assert storage.list("releases/aa") == [
        "releases/aa/m1/1.tar.gz",
        "releases/aa/m1/2.tar.gz",
        "releases/aa/m2/1.tar.gz",
    ]
    assert storage.list("releases/aa/") == storage.list("releases/aa")
    assert storage.list("releases/aa/m1/1.tar") == []  # a folder, not the start of a name
    assert len(storage.list("")) == 5
    assert storage.names("releases/aa/m1") == ["1.tar.gz", "2.tar.gz"]
    assert storage.names("releases/aa") == []  # only folders directly inside
    assert storage.list("compiled") == []


def test_delete_and_delete_prefix(storage):
    keep = ["feedback/c1/m1/wangfang/10/m1.html", "feedback/c1/m1/wangfang10/1/m1.html"]
    gone = ["feedback/c1/m1/wangfang/1/m1.html", "feedback/c1/m1/wangfang/1/m2.html"]
    for key in keep + gone:
        storage.put(key, b"page")
    storage.delete_prefix("feedback/c1/m1/wangfang/1")
    assert storage.list("feedback") == sorted(keep)
    storage.delete(keep[0])
    assert storage.list("feedback") == [keep[1]]
    storage.delete_prefix("compiled/nothing/here")  # nothing to remove is no error


def test_put_folder_replaces_the_whole_folder(storage):
    folder = storage.feedback("c1", "m1", "wangfang", 3)
    storage.put_folder(folder, {"a.html": b"old a", "b.html": b"old b"})
    storage.put_folder(folder, {"a.html": b"new a", "c.html": b"new c"})
    assert storage.names(folder) == ["a.html", "c.html"]
    assert storage.get(f"{folder}/a.html") == b"new a"
    with storage.local_copy(folder) as copy:
        assert sorted(p.name for p in copy.iterdir()) == ["a.html", "c.html"]
        assert (copy / "c.html").read_bytes() == b"new c"
    assert not copy.exists()  # the temporary copy is gone


@pytest.mark.parametrize(
    "build",
    [
        lambda s: s.release("../etc", "m1", 1),
        lambda s: s.release("c1", "M1", 1),
        lambda s: s.compiled("c1", "m1/../..", 1),
        lambda s: s.submission("c1", "m1", "..", 1),
        lambda s: s.submission("c1", "m1", ".hidden", 1),
        lambda s: s.feedback("c1", "m1", "a/b", 1),
        lambda s: s.feedback("c1", "m1", "wangfang", "1/../2"),
    ],
)
def test_key_builders_refuse_unsafe_ids(storage, build):
    with pytest.raises((ValueError, BadName)):
        build(storage)


@pytest.mark.parametrize(
    "key", ["../secret", "releases/../../x", "/etc/passwd", "a//b", "a/./b", "a\\b", ".hidden", ""]
)
def test_operations_refuse_unsafe_keys(storage, key):
    for operation in (storage.get, storage.exists, storage.delete, storage.version):
        with pytest.raises(ValueError):
            operation(key)
    with pytest.raises(ValueError):
        storage.put(key, b"x")
    if key:  # "" lists everything
        with pytest.raises(ValueError):
            storage.list(key)
        with pytest.raises(ValueError):
            storage.delete_prefix(key)


# -- each backend's own promises ------------------------------------------------------------


def test_local_layout_is_what_it_always_was(tmp_path):
    """Files written before the interface (the database keeps their relative paths) are read
    by the same keys, and a put writes the same bytes at the same path."""
    root = tmp_path / "exchange"
    old = root / "submissions" / "c1" / "m1" / "wangfang" / "5.tar.gz"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"written by an earlier version")
    storage = LocalStorage(root)
    assert storage.get("submissions/c1/m1/wangfang/5.tar.gz") == b"written by an earlier version"
    storage.put(storage.release("c1", "m1", 2), b"release two")
    assert (root / "releases" / "c1" / "m1" / "2.tar.gz").read_bytes() == b"release two"
    # files still being written (dot names) are not listed
    (root / "releases" / "c1" / "m1" / ".2.tar.gz.abc.part").write_bytes(b"half")
    assert storage.list("releases") == ["releases/c1/m1/2.tar.gz"]


def test_local_put_that_fails_leaves_the_old_file(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path / "exchange")
    key = storage.release("c1", "m1", 1)
    storage.put(key, b"whole")

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr("yiyuan.atomic.os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        storage.put(key, b"never seen")
    monkeypatch.undo()
    assert storage.get(key) == b"whole"
    assert sorted(p.name for p in storage.path(key).parent.iterdir()) == ["1.tar.gz"]


def test_s3_prefixes_keep_platforms_apart(s3_endpoint):
    bucket = new_bucket(s3_endpoint)
    one = S3Storage(bucket, endpoint_url=s3_endpoint, prefix="yiyuan/one")
    other = S3Storage(bucket, endpoint_url=s3_endpoint, prefix="/yiyuan/one-more/")
    top = S3Storage(bucket, endpoint_url=s3_endpoint)
    one.put("releases/c1/m1/1.tar.gz", b"one")
    other.put("releases/c1/m1/1.tar.gz", b"other")
    assert one.list() == ["releases/c1/m1/1.tar.gz"] == other.list()
    assert one.get("releases/c1/m1/1.tar.gz") == b"one"
    one.delete_prefix("releases")
    assert other.get("releases/c1/m1/1.tar.gz") == b"other"
    assert bucket_keys(s3_endpoint, bucket) == ["yiyuan/one-more/releases/c1/m1/1.tar.gz"]
    assert top.list("yiyuan") == ["yiyuan/one-more/releases/c1/m1/1.tar.gz"]


def test_s3_trouble_is_a_chinese_sentence(s3_endpoint):
    missing = S3Storage("no-such-bucket", endpoint_url=s3_endpoint)
    with pytest.raises(StorageError, match=r"对象存储 s3://no-such-bucket/ .*请检查配置项 storage"):
        missing.prepare()
    with pytest.raises(StorageError, match="NoSuchBucket"):
        missing.put("releases/c1/m1/1.tar.gz", b"x")
    S3Storage(new_bucket(s3_endpoint), endpoint_url=s3_endpoint).prepare()  # reachable: quiet


# -- settings and the factory ---------------------------------------------------------------


def write_settings(tmp_path, text: str):
    path = tmp_path / "yiyuan.yml"
    path.write_text(text, encoding="utf-8")
    return load_settings({"YIYUAN_CONFIG": str(path)})


def test_settings_choose_the_backend(tmp_path):
    local = write_settings(tmp_path, "data_dir: data\n")
    assert local.storage == StorageSettings()
    chosen = open_storage(local)
    assert isinstance(chosen, LocalStorage) and chosen.root == local.exchange_dir
    s3 = write_settings(
        tmp_path,
        "storage:\n  backend: s3\n  s3_bucket: yiyuan-files\n"
        "  s3_endpoint_url: http://127.0.0.1:9000\n  s3_prefix: prod\n  s3_region: cn-north-1\n",
    )
    chosen = open_storage(s3)
    assert isinstance(chosen, S3Storage)
    assert (chosen.bucket, chosen.endpoint_url, chosen.prefix, chosen.region) == (
        "yiyuan-files",
        "http://127.0.0.1:9000",
        "prod/",
        "cn-north-1",
    )
    assert isinstance(Platform(s3).storage, S3Storage)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("storage:\n  backend: s3\n", "storage.s3_bucket"),
        ("storage:\n  backend: minio\n", "storage.backend"),
        ("storage:\n  backend: s3\n  s3_bucket: b\n  s3_endpoint_url: minio:9000\n", "http://"),
        ("storage:\n  backend: s3\n  s3_bucket: b\n  s3_prefix: a/../b\n", "s3_prefix"),
        ("storage:\n  s3_access_key: secret\n", "未知的配置项 storage.s3_access_key"),
    ],
)
def test_settings_refuse_an_unusable_storage(tmp_path, text, message):
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        write_settings(tmp_path, text)


# -- the platform's flow with storage.backend: s3 -------------------------------------------


def test_the_platform_runs_on_object_storage(tmp_path, s3_endpoint):
    """Publish (releases and compiled pages), a learner's submission, its grading and
    feedback, the exchange's listings and a certificate PDF: all in the bucket, under the
    settings' prefix; nothing in ``exchange_dir``; the keys in the database as before."""
    from sqlalchemy import select
    from test_certificates import certified_course, completed

    from gradingdata import COURSES, DEMO_COURSE, DEMO_MODULE, REFLECTION, RIGHT, learner
    from learningdata import account as make_account
    from yiyuan.catalog import compile as compiled_lessons
    from yiyuan.catalog.publish import publish
    from yiyuan.certificates import files, issuing
    from yiyuan.db import migrate
    from yiyuan.exchange import archives
    from yiyuan.grading.autograde import grade_submission
    from yiyuan.models import Grade, Module, Role
    from yiyuan.service.exchange_handlers import _submission_item
    from yiyuan.service.learner_handlers import submission_state
    from yiyuan.service.submissions import record_submission

    courses = tmp_path / "courses"
    (courses / "notebooks").mkdir(parents=True)
    shutil.copy(COURSES / f"{DEMO_COURSE}.yml", courses)
    shutil.copytree(COURSES / "notebooks" / DEMO_COURSE, courses / "notebooks" / DEMO_COURSE)
    bucket = new_bucket(s3_endpoint)
    settings = dataclasses.replace(
        load_settings({"YIYUAN_DATA_DIR": str(tmp_path / "data")}),
        courses_dir=courses,
        storage=StorageSettings(
            backend="s3", s3_endpoint_url=s3_endpoint, s3_bucket=bucket, s3_prefix="yiyuan"
        ),
    )
    with Platform(settings) as platform:
        storage = platform.storage
        assert isinstance(storage, S3Storage)
        storage.prepare()
        database = platform.database
        migrate.upgrade(database)
        with database.session() as session:
            account = learner(session, "wangfang")
            make_account(session, "lihua", role=Role.trainer)  # the manifest's trainer
            report = publish(settings, session, storage, DEMO_COURSE, "admin")
            assert (DEMO_MODULE, 1) in report.released
            module = session.scalar(select(Module).where(Module.code == DEMO_MODULE))
            spec = compiled_lessons.spec_of(storage, module)
            assert spec is not None and spec["lessons"], spec
            page = compiled_lessons.page_of(storage, module, spec["lessons"][0]["name"])
            assert "<html" in page.lower()
            # the learner's answers packed into the release, as the service does
            release = storage.get(storage.release(DEMO_COURSE, DEMO_MODULE, module.release))
            folder = tmp_path / "work" / DEMO_MODULE
            archives.unpack(release, folder, 50 * 2**20)
            answers = {"version": 1, "answers": {**RIGHT, "r1": REFLECTION}}
            (folder / "answers.json").write_text(json.dumps(answers, ensure_ascii=False), "utf-8")
            data = archives.pack(folder)
            submission = record_submission(session, storage, module, account, data, 1)
            submission_id = submission.id
        assert (
            submission.path
            == f"submissions/{DEMO_COURSE}/{DEMO_MODULE}/wangfang/{submission_id}.tar.gz"
        )
        assert storage.get(submission.path) == data

        grade_submission(settings, database, submission_id)
        with database.session() as session:
            grade = session.scalars(select(Grade).where(Grade.submission_id == submission_id)).one()
            assert grade.auto_score == grade.auto_max > 0
            assert grade.feedback_path == storage.feedback(
                DEMO_COURSE, DEMO_MODULE, "wangfang", submission_id
            )
            pages = storage.names(grade.feedback_path)
            assert pages == [f"{DEMO_MODULE}.html"]
            state = submission_state(session, storage, grade.submission)
            assert state["grade"]["feedback"] == pages
            item = _submission_item(grade.submission, storage, grade.feedback_path)
            page = storage.get(f"{grade.feedback_path}/{pages[0]}")
            assert item["feedback"] == {DEMO_MODULE: hashlib.sha256(page).hexdigest()}

            row = certified_course(session)
            holder = completed(session, "liuyang", row, name="刘洋")
            (certificate,) = issuing.of_account(session, holder.id)
            pdf = files.pdf_of(settings, certificate)
            assert pdf.startswith(b"%PDF")
            assert files.pdf_of(settings, certificate) == pdf  # kept, not rendered again
            serial = certificate.serial

    keys = bucket_keys(s3_endpoint, bucket)
    assert all(key.startswith("yiyuan/") for key in keys)
    for expected in (
        f"yiyuan/releases/{DEMO_COURSE}/{DEMO_MODULE}/1.tar.gz",
        f"yiyuan/compiled/{DEMO_COURSE}/{DEMO_MODULE}/1/lessons.json",
        f"yiyuan/submissions/{DEMO_COURSE}/{DEMO_MODULE}/wangfang/{submission_id}.tar.gz",
        f"yiyuan/feedback/{DEMO_COURSE}/{DEMO_MODULE}/wangfang/{submission_id}/{DEMO_MODULE}.html",
        f"yiyuan/certificates/{serial[:4]}/{serial}.pdf",
    ):
        assert expected in keys, keys
    assert not settings.exchange_dir.exists()
    with tarfile.open(
        fileobj=io.BytesIO(storage.get(f"releases/{DEMO_COURSE}/{DEMO_MODULE}/1.tar.gz"))
    ) as archive:
        assert "answers.json" not in {m.name.rsplit("/", 1)[-1] for m in archive}
