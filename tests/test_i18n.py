"""The message catalogues: same ids and placeholders in every language, and the Catalogue API."""

from __future__ import annotations

import string

import pytest

from yiyuan.i18n import CATALOGUES, DEFAULT_LANGUAGE, Catalogue, get_catalogue

# ids the login and password code uses; they must not be renamed
PYTHON_IDS = {
    "login_failed": set(),
    "login_throttled": set(),
    "account_inactive": set(),
    "password_changed": set(),
    "password_mismatch": set(),
    "password_wrong_current": set(),
    "password_too_short": {"min_length"},
    "password_too_simple": set(),
    "password_same_as_username": set(),
    "password_common": set(),
    "password_must_change": set(),
    "password_reuse": set(),
}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def test_default_is_chinese():
    assert DEFAULT_LANGUAGE == "zh_CN"
    assert get_catalogue().language == "zh_CN"


def test_catalogues_have_the_same_keys():
    zh, en = set(CATALOGUES["zh_CN"]), set(CATALOGUES["en"])
    assert zh - en == set(), "missing in en"
    assert en - zh == set(), "missing in zh_CN"


@pytest.mark.parametrize("key", sorted(CATALOGUES["zh_CN"]))
def test_same_placeholders(key):
    assert placeholders(CATALOGUES["zh_CN"][key]) == placeholders(CATALOGUES["en"][key])


@pytest.mark.parametrize("language", sorted(CATALOGUES))
def test_messages_are_non_empty_text(language):
    for key, text in CATALOGUES[language].items():
        assert isinstance(text, str) and text.strip(), key


def test_python_message_ids():
    for language in CATALOGUES:
        catalogue = get_catalogue(language)
        for key, params in PYTHON_IDS.items():
            assert placeholders(catalogue[key]) == params, (language, key)
    assert get_catalogue("zh_CN")["login_failed"] == "用户名或密码错误。"
    # a block reads like any failure: never "locked", never "no such account"
    throttled = get_catalogue("zh_CN")["login_throttled"]
    assert throttled.startswith("用户名或密码错误。") and "锁定" not in throttled


def test_format():
    zh = get_catalogue("zh_CN")
    assert "8" in zh.format("password_too_short", min_length=8)
    assert "8" in get_catalogue("en").format("password_too_short", min_length=8)
    with pytest.raises(KeyError):
        zh.format("password_too_short")  # placeholder not given


def test_mapping_and_attribute_access():
    zh = get_catalogue("zh_CN")
    assert zh["nav_home"] == zh.nav_home == "首页"
    assert "nav_home" in zh
    assert len(zh) == len(CATALOGUES["zh_CN"])
    with pytest.raises(KeyError):
        zh["no_such_message"]
    with pytest.raises(AttributeError):
        zh.no_such_message  # noqa: B018


def test_ids_do_not_shadow_catalogue_methods():
    # attribute access falls back to messages only when no real attribute exists
    clashes = set(CATALOGUES["zh_CN"]) & set(dir(Catalogue))
    assert not clashes


def test_not_callable():
    # JupyterHub calls callables found in template_vars with the current user
    assert not callable(get_catalogue("zh_CN"))


def test_catalogue_is_a_copy():
    zh = get_catalogue("zh_CN")
    CATALOGUES["zh_CN"]["nav_home"] += ""  # same value, proves nothing shared is mutated
    assert zh.nav_home == "首页"
    assert isinstance(zh, Catalogue)


def test_unknown_language():
    with pytest.raises(ValueError) as info:
        get_catalogue("fr")
    message = str(info.value)
    assert "language" in message and "zh_CN" in message and "en" in message
    assert "配置项" in message


def test_areas_merge_without_collisions():
    # each area (hub pages, service, administrator pages, grader, portal pages) has its own
    # ids: the service's start with svc_, the grader's with grader_, the portal templates'
    # with portal_, the hub's with none of them
    from yiyuan.i18n import AREAS, grading, hub, portal, portal_pages, service, service_admin

    prefixes = {
        hub: None,
        service: "svc_",
        service_admin: "svc_admin_",
        grading: "grader_",
        portal: "portal_",
        portal_pages: "portal_",
    }
    assert set(AREAS) == set(prefixes)
    for language in CATALOGUES:
        parts = [getattr(area, language.upper()) for area in AREAS]
        assert sum(len(part) for part in parts) == len(CATALOGUES[language])
    for area, prefix in prefixes.items():
        for key in area.ZH_CN:
            if prefix is None:
                assert not key.startswith(("svc_", "grader_", "portal_")), key
            else:
                assert key.startswith(prefix), key
    assert all(not key.startswith("svc_admin_") for key in service.ZH_CN)


def test_service_and_grader_words():
    zh, en = get_catalogue("zh_CN"), get_catalogue("en")
    assert zh.svc_http_401 == "请先登录。" and en.svc_http_401 == "Please log in first."
    assert zh.format("svc_no_course", code="c1") == "没有课程“c1”，或它已下线。"
    assert zh.format("grader_no_submission", submission_id=7) == "找不到编号为 7 的提交。"
    assert zh.format("grader_score_out_of_range", item="r1", maximum=5.0, score=6.5) == (
        "“r1”的分数应在 0 到 5 分之间，而不是 6.5。"
    )
    # doubled braces: the message shows JSON, and format() gives it back single
    assert (
        zh.format("svc_mark_read_usage")
        == '请用 {"read": [消息编号…]} 或 {"read": "all"} 标记已读。'
    )
