"""The words users read live in the message catalogues (``yiyuan.i18n``), not in the code.

Every module of ``yiyuan/service`` and ``yiyuan/grading`` is parsed with ``ast``; a string
constant with Chinese characters or full-width punctuation outside a docstring fails the test,
unless the allowlist below names it with its reason. Comments are not string constants, so they
may stay in Chinese; docstrings are for developers and stay as they are.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import yiyuan
from yiyuan.i18n import CATALOGUES

PACKAGE = Path(yiyuan.__file__).parent
CHECKED = ("service", "grading")

#: CJK unified ideographs, CJK symbols and punctuation (。、「」), full-width forms (，：（）)
CJK = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")

#: whole modules left as they are, with the reason
ALLOWED_MODULES: dict[str, str] = {
    "service/openapi.py": (
        "the OpenAPI description is documentation for developers, not the interface: every"
        " summary is already written in both languages ('中文 / English') and api/openapi.json"
        " is one document for every reader"
    ),
}

#: the dashboards' notebooks are named in Chinese (dashboards/总览.ipynb …): the title is also
#: the file's name and its URL, so it changes with the file, not in a catalogue
DASHBOARD_FILE = "the name of a notebook in dashboards/ (its URL), not a free wording"

#: single constants that are data, not wording: (module, text) -> reason
ALLOWED_TEXTS: dict[tuple[str, str], str] = {
    ("service/learner_handlers.py", "总览"): DASHBOARD_FILE,
    ("service/learner_handlers.py", "协会详情"): DASHBOARD_FILE,
    ("service/learner_handlers.py", "课程详情"): DASHBOARD_FILE,
    ("service/learner_handlers.py", "期次"): DASHBOARD_FILE,
    ("service/admin_cohort_handlers.py", "期次"): DASHBOARD_FILE,
    ("service/trainer_handlers.py", "课程详情"): DASHBOARD_FILE,
    ("service/catalogue_handlers.py", "全部"): (
        "input, not output: a course-list link written by hand with ?category=全部 means no"
        " filter (the page itself sends an empty value)"
    ),
}


def cjk_literals(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every string constant with CJK characters that is not a docstring
    (f-strings count by their constant parts)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                docstrings.add(id(first.value))
    found = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and CJK.search(node.value)
    ]
    return sorted(found)


def modules() -> list[Path]:
    return sorted(path for area in CHECKED for path in (PACKAGE / area).glob("*.py"))


def unexplained(path: Path, name: str) -> list[str]:
    if name in ALLOWED_MODULES:
        return []
    return [
        f"yiyuan/{name}:{line}: {text!r}"
        for line, text in cjk_literals(path.read_text(encoding="utf-8"))
        if (name, text) not in ALLOWED_TEXTS
    ]


def test_no_words_outside_the_catalogues():
    problems = []
    for path in modules():
        problems += unexplained(path, path.relative_to(PACKAGE).as_posix())
    assert not problems, (
        "user-facing words belong in yiyuan/i18n (zh_CN and en), read through get_catalogue();"
        " or, for data, an entry with its reason in ALLOWED_TEXTS:\n" + "\n".join(problems)
    )


def test_allowlist_is_not_stale():
    names = {path.relative_to(PACKAGE).as_posix(): path for path in modules()}
    assert set(ALLOWED_MODULES) <= set(names)
    for (name, text), reason in ALLOWED_TEXTS.items():
        assert reason.strip()
        found = {t for _, t in cjk_literals(names[name].read_text(encoding="utf-8"))}
        assert text in found, f"{name}: {text!r} is allowed but no longer there"


def test_the_check_finds_a_chinese_literal(tmp_path):
    module = tmp_path / "handlers.py"
    module.write_text(
        '"""文档字符串可以写中文。"""\n'
        "def f(x):\n"
        '    """这个也可以。"""\n'
        "    # 注释也可以\n"
        '    raise ValueError(f"找不到 {x}。")\n'
        'HEADINGS = ["Name", "姓名"]\n'
        'COLON = "："\n'
        'ENGLISH = "not found"\n',
        encoding="utf-8",
    )
    assert unexplained(module, "service/handlers.py") == [
        "yiyuan/service/handlers.py:5: '。'",
        "yiyuan/service/handlers.py:5: '找不到 '",
        "yiyuan/service/handlers.py:6: '姓名'",
        "yiyuan/service/handlers.py:7: '：'",
    ]


def message_ids(source: str) -> set[str]:
    """The catalogue ids a module reads: ``words.id``, ``words["id"]``, ``words.format("id")``
    and the same on ``get_catalogue()``."""
    ids = set()

    def is_catalogue(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "words") or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "get_catalogue"
        )

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and is_catalogue(node.value):
            if node.attr != "format":
                ids.add(node.attr)
        elif isinstance(node, ast.Subscript) and is_catalogue(node.value):
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                ids.add(node.slice.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and is_catalogue(node.func.value)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            ids.add(node.args[0].value)
    return ids


@pytest.mark.parametrize("name", [path.relative_to(PACKAGE).as_posix() for path in modules()])
def test_ids_read_by_the_code_exist(name):
    used = message_ids((PACKAGE / name).read_text(encoding="utf-8"))
    for language, messages in CATALOGUES.items():
        assert used <= set(messages), f"{name} reads ids {language} lacks: {used - set(messages)}"


def test_every_http_status_has_words():
    from yiyuan.service.base import MESSAGES

    for status, text in MESSAGES.items():
        assert text == CATALOGUES["zh_CN"][f"svc_http_{status}"]


@pytest.mark.parametrize("name", sorted(ALLOWED_MODULES))
def test_allowed_modules_say_why(name):
    assert ALLOWED_MODULES[name].strip()


# -- the service's templates ---------------------------------------------------------------
# The service renders tornado templates (``PageHandler.render_string`` hands them the default
# catalogue as ``t``). Tornado's comments are ``{# … #}`` and the single tag
# ``{% comment … %}``; neither reaches the page, so developers' notes there may stay Chinese.

TEMPLATES = PACKAGE / "service" / "templates"

#: the learner portal's pages, whose words all come from the catalogues (i18n/portal*.py);
#: the administrators' and trainers' pages (admin_*.html, trainer.html, grading.html,
#: audit.html) still hold theirs inline
LEARNER_TEMPLATES = (
    "base.html",
    "home.html",
    "catalogue.html",
    "catalogue_course.html",
    "feedback.html",
    "session.html",
    "my_certificates.html",
    "my_hours.html",
    "messages.html",
    "verify.html",
)

TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{%-?\s*comment\b.*?-?%\}", re.S)


def template_words(source: str) -> list[tuple[int, str]]:
    """``(line, text)`` of every line of a template with CJK characters outside comments
    (a comment is blanked but keeps its line breaks, so line numbers stay right)."""
    bare = TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)
    return [
        (number, line.strip())
        for number, line in enumerate(bare.split("\n"), 1)
        if CJK.search(line)
    ]


@pytest.mark.parametrize("name", LEARNER_TEMPLATES)
def test_learner_templates_hold_no_words(name):
    found = template_words((TEMPLATES / name).read_text(encoding="utf-8"))
    assert not found, (
        f"templates/{name} shows words that belong in yiyuan/i18n/portal*.py (read them as"
        ' {{ t.id }} or {{ t.format("id", …) }}):\n'
        + "\n".join(f"{name}:{line}: {text}" for line, text in found)
    )


def test_the_check_finds_chinese_in_a_template():
    source = (
        "{# 注释可以写中文 #}\n"
        "{% comment 这个也可以 %}\n"
        "<h1>{{ t.portal_home }}</h1>{#- 多行的\n注释 -#}\n"
        '<p title="放大">{{ name }}</p>\n'
        '<p>{{ t.format("portal_score", score=1) }}（{{ n }}）</p>\n'
        '<script>message.textContent = "正在提交……";</script>\n'
    )
    assert template_words(source) == [
        (5, '<p title="放大">{{ name }}</p>'),
        (6, '<p>{{ t.format("portal_score", score=1) }}（{{ n }}）</p>'),
        (7, '<script>message.textContent = "正在提交……";</script>'),
    ]


#: ``t.id`` (not ``t.format`` itself) and ``t.format("id"``, not part of a longer name
TEMPLATE_ID = re.compile(r"(?<![\w.])t\.(?!format\b)([A-Za-z_]\w*)")
TEMPLATE_FORMAT_ID = re.compile(r"""(?<![\w.])t\.format\(\s*["']([^"']+)["']""")


def template_ids(source: str) -> set[str]:
    """The catalogue ids a template reads: ``t.id`` and ``t.format("id", …)``."""
    return set(TEMPLATE_ID.findall(source)) | set(TEMPLATE_FORMAT_ID.findall(source))


def test_template_ids_are_found():
    source = (
        "{{ t.portal_home }} {% raw xhtml_escape(t.portal_cat_found).format(count=1) %}"
        " {{ t.format(\"portal_score\", score=1) }} {{ t.format( 'portal_year', year=2026) }}"
        " {{ account.t.not_an_id }} {{ at.nothing }}"
    )
    assert template_ids(source) == {
        "portal_home",
        "portal_cat_found",
        "portal_score",
        "portal_year",
    }


@pytest.mark.parametrize("name", sorted(path.name for path in TEMPLATES.glob("*.html")))
def test_ids_read_by_the_templates_exist(name):
    used = template_ids((TEMPLATES / name).read_text(encoding="utf-8"))
    for language, messages in CATALOGUES.items():
        assert used <= set(messages), (
            f"templates/{name} reads ids {language} lacks: {used - set(messages)}"
        )


def test_learner_template_list_is_not_stale():
    assert set(LEARNER_TEMPLATES) <= {path.name for path in TEMPLATES.glob("*.html")}
