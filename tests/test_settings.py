"""Settings: defaults, the YAML file, environment overrides, and every kind of bad input."""

from pathlib import Path

import pytest

from yiyuan.errors import SettingsError
from yiyuan.settings import Settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "yiyuan.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_run_the_demo_under_cwd(tmp_path):
    settings = load_settings({}, cwd=tmp_path)
    assert settings.mode == "demo"
    assert settings.language == "zh_CN"
    assert settings.data_dir == tmp_path / "data"
    assert settings.platform_db_url == f"sqlite:///{tmp_path / 'data' / 'yiyuan.sqlite'}"
    assert settings.hub_db_url == f"sqlite:///{tmp_path / 'data' / 'jupyterhub.sqlite'}"
    assert settings.hub.port == 8000
    assert settings.auth.max_failed_logins == 5
    assert settings.auth.lockout_minutes == 10


def test_file_values_and_relative_data_dir(tmp_path):
    (tmp_path / "etc").mkdir()
    path = write(
        tmp_path / "etc",
        "mode: production\ndata_dir: ../srv\ncity: 深圳市\nhub:\n  port: 9000\n"
        "auth:\n  lockout_minutes: 15\n",
    )
    settings = load_settings({"YIYUAN_CONFIG": str(path)}, cwd=Path("/"))
    assert settings.mode == "production"
    assert settings.city == "深圳市"
    assert settings.hub.port == 9000
    assert settings.hub.ip == "127.0.0.1"  # untouched defaults stay
    assert settings.auth.lockout_minutes == 15
    assert settings.data_dir == (tmp_path / "srv").resolve()


def test_environment_overrides_win_over_the_file(tmp_path):
    path = write(tmp_path, "data_dir: /from/file\ndb_url: sqlite:////from/file.sqlite\n")
    settings = load_settings(
        {
            "YIYUAN_CONFIG": str(path),
            "YIYUAN_DATA_DIR": str(tmp_path / "env"),
            "YIYUAN_DB_URL": "postgresql+psycopg://u@h/db",
        }
    )
    assert settings.data_dir == tmp_path / "env"
    assert settings.platform_db_url == "postgresql+psycopg://u@h/db"


def test_empty_file_means_defaults(tmp_path):
    path = write(tmp_path, "# nothing set yet\n")
    assert load_settings({"YIYUAN_CONFIG": str(path)}).hub == Settings().hub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hub:\n  port: [8000\n", "不是有效的 YAML"),
        ("- a\n- b\n", "顶层应为"),
        ("colour: red\n", "未知的配置项 colour"),
        ("hub:\n  prot: 8000\n", "未知的配置项 hub.prot"),
        ("hub:\n  port: eighty\n", "配置项 hub.port 应为整数"),
        ("hub:\n  port: -1\n", "hub.port 不能为负数"),
        ("hub: 8000\n", "配置项 hub 应为"),
        ("mode: cluster\n", "配置项 mode 的值 'cluster' 无效"),
        ("culler:\n  enabled: maybe\n", "culler.enabled 应为 true 或 false"),
        ("site_name: 12\n", "site_name 应为文本"),
        ("messages:\n  channels: sms\n", r"messages.channels 应为列表"),
        ("messages:\n  remind_days: [7, one]\n", r"messages.remind_days\[1\] 应为整数"),
    ],
)
def test_malformed_file_names_the_setting(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(SettingsError, match=expected):
        load_settings({"YIYUAN_CONFIG": str(path)})


def test_lists_are_read_as_tuples(tmp_path):
    path = write(tmp_path, "messages:\n  channels: [log, file]\n  remind_days: [3]\n")
    messages = load_settings({"YIYUAN_CONFIG": str(path)}).messages
    assert (messages.channels, messages.remind_days) == (("log", "file"), (3,))


def test_missing_file_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match=r"找不到配置文件.*YIYUAN_CONFIG"):
        load_settings({"YIYUAN_CONFIG": str(tmp_path / "nope.yml")})


def test_file_not_utf8(tmp_path):
    path = tmp_path / "gbk.yml"
    path.write_bytes("city: 深圳市\n".encode("gbk"))
    with pytest.raises(SettingsError, match="UTF-8"):
        load_settings({"YIYUAN_CONFIG": str(path)})
