"""Lesson widgets (``yiyuan.lesson``) without a browser: widgets are driven by setting their
values, the sidecar file is read back, hidden-test checks run against it, and a small lesson
goes through nbgrader's generate step and a fresh kernel."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import wave
from datetime import datetime
from pathlib import Path

import ipywidgets as w
import numpy as np
import pytest

import yiyuan.lesson.core as core
from yiyuan.lesson import Lesson, SubmitError
from yiyuan.lesson.grading import expect, reflection_text
from yiyuan.lesson.submit import FAILED, NOT_OPEN, NOT_SAVED, SUBMITTED

PROMPTS = {
    "q1": "题目文字",
    "q2": "题目文字（可多选）",
    "q3": "判断：……",
    "q4": "填空：……",
    "s1": "您对本课的满意度",
    "r1": "请结合自己的创作实践，写一段学习心得。",
}


@pytest.fixture
def shown(monkeypatch):
    """Everything the lesson displays, instead of printing it."""
    items = []
    monkeypatch.setattr(core, "display", items.append)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return items


def full_lesson(folder, min_length=100) -> Lesson:
    lesson = Lesson(folder=folder)
    lesson.single_choice("q1", PROMPTS["q1"], ["选项甲", "选项乙", "选项丙"])
    lesson.multiple_choice("q2", PROMPTS["q2"], ["甲", "乙", "丙", "丁"])
    lesson.true_false("q3", PROMPTS["q3"])
    lesson.fill_in("q4", PROMPTS["q4"], placeholder="请填写")
    lesson.rating("s1", PROMPTS["s1"], labels=["很不满意", "不满意", "一般", "满意", "很满意"])
    lesson.reflection("r1", PROMPTS["r1"], min_length=min_length)
    return lesson


def answer_all(lesson: Lesson, reflection: str = "心" * 120) -> None:
    lesson.widgets["q1"].value = "选项乙"
    lesson.widgets["q2"][0].value = True
    lesson.widgets["q2"][2].value = True
    lesson.widgets["q3"].value = True
    lesson.widgets["q4"].value = "文化自信"
    lesson.widgets["s1"].value = 4
    lesson.widgets["r1"].value = reflection


def saved(folder: Path) -> dict:
    return json.loads((folder / "answers.json").read_text(encoding="utf-8"))


def write_answers(folder: Path, answers: dict) -> None:
    data = {"version": 1, "answers": answers, "updated_at": "2026-11-29T10:00:00+08:00"}
    (folder / "answers.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# -- import boundaries -----------------------------------------------------------------------


def test_importing_is_light_and_stays_out_of_the_platform():
    code = (
        "import sys\n"
        "import yiyuan.lesson, yiyuan.lesson.grading\n"
        "assert 'ipywidgets' not in sys.modules, 'import started the widgets'\n"
        "from yiyuan.lesson import Lesson\n"
        "Lesson\n"
        "bad = [m for m in sys.modules if m.startswith(('yiyuan.models', 'yiyuan.db',"
        " 'yiyuan.settings', 'sqlalchemy'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_package_never_names_the_platform_layers():
    package = Path(core.__file__).parent
    for path in package.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("yiyuan.models", "yiyuan.db", "yiyuan.settings", "from .. import"):
            assert forbidden not in text, f"{path.name} mentions {forbidden}"


# -- widgets and the sidecar ----------------------------------------------------------------


def test_questions_display_labelled_widgets_and_return_none(shown, tmp_path):
    lesson = Lesson(folder=tmp_path)
    assert lesson.single_choice("q1", "<b>题目</b>", ["甲", "乙"]) is None
    lesson.multiple_choice("q2", "<i>多选</i>", ["<b>甲</b>", "乙"])
    lesson.true_false("q3", PROMPTS["q3"])
    lesson.fill_in("q4", PROMPTS["q4"])
    lesson.rating("s1", PROMPTS["s1"])
    lesson.reflection("r1", PROMPTS["r1"], min_length=100)
    inputs = [
        lesson.widgets["q1"],
        *lesson.widgets["q2"],
        *(lesson.widgets[k] for k in ("q3", "q4", "s1", "r1")),
    ]
    for widget in inputs:
        assert widget.description and widget.description_allow_html is False
    assert isinstance(lesson.widgets["q1"], w.RadioButtons)
    assert all(isinstance(box, w.Checkbox) for box in lesson.widgets["q2"])
    assert isinstance(lesson.widgets["q3"], w.ToggleButtons)
    assert isinstance(lesson.widgets["q4"], w.Text)
    assert lesson.widgets["q4"].placeholder == "请填写"
    assert [label for label, _ in lesson.widgets["s1"].options] == [
        "很不满意",
        "不满意",
        "一般",
        "满意",
        "很满意",
    ]
    assert isinstance(lesson.widgets["r1"], w.Textarea)
    boxes = [item for item in shown if isinstance(item, w.Box)]
    assert len(boxes) == 6
    group_prompt = boxes[1].children[0].children[0]
    assert "&lt;i&gt;多选&lt;/i&gt;" in group_prompt.value and "<i>" not in group_prompt.value
    assert not (tmp_path / "answers.json").exists(), "displaying must not write answers"


def test_every_change_is_saved_at_once(shown, tmp_path):
    lesson = full_lesson(tmp_path)
    steps = [
        (lambda: setattr(lesson.widgets["q1"], "value", "选项乙"), "q1", "选项乙"),
        (lambda: setattr(lesson.widgets["q2"][0], "value", True), "q2", ["甲"]),
        (lambda: setattr(lesson.widgets["q2"][2], "value", True), "q2", ["甲", "丙"]),
        (lambda: setattr(lesson.widgets["q3"], "value", False), "q3", False),
        (lambda: setattr(lesson.widgets["q4"], "value", "文化自信"), "q4", "文化自信"),
        (lambda: setattr(lesson.widgets["s1"], "value", 4), "s1", 4),
        (lambda: setattr(lesson.widgets["r1"], "value", "我的心得"), "r1", "我的心得"),
    ]
    expected = {}
    for change, question_id, value in steps:
        change()
        expected[question_id] = value
        data = saved(tmp_path)
        assert data["version"] == 1
        assert data["answers"] == expected
        assert datetime.fromisoformat(data["updated_at"]).tzinfo is not None
    raw = (tmp_path / "answers.json").read_text(encoding="utf-8")
    assert "文化自信" in raw, "Chinese must be stored readable (ensure_ascii=False)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.json"], "temp file left"
    assert lesson.answers == expected


def test_taking_an_answer_back_removes_it(shown, tmp_path):
    lesson = full_lesson(tmp_path)
    lesson.widgets["q2"][1].value = True
    lesson.widgets["q4"].value = "文化"
    lesson.widgets["r1"].value = "草稿"
    assert set(saved(tmp_path)["answers"]) == {"q2", "q4", "r1"}
    lesson.widgets["q2"][1].value = False
    lesson.widgets["q4"].value = "   "
    lesson.widgets["r1"].value = ""
    assert saved(tmp_path)["answers"] == {}


def test_reopening_restores_answers_without_rewriting(shown, tmp_path):
    answer_all(full_lesson(tmp_path), reflection="第一段\n第二段")
    before = (tmp_path / "answers.json").read_bytes()
    again = full_lesson(tmp_path)
    assert again.widgets["q1"].value == "选项乙"
    assert [box.value for box in again.widgets["q2"]] == [True, False, True, False]
    assert again.widgets["q3"].value is True
    assert again.widgets["q4"].value == "文化自信"
    assert again.widgets["s1"].value == 4
    assert again.widgets["r1"].value == "第一段\n第二段"
    assert (tmp_path / "answers.json").read_bytes() == before
    again.widgets["q3"].value = False
    assert saved(tmp_path)["answers"]["q3"] is False


def test_saved_values_that_no_longer_fit_are_ignored_but_kept(shown, tmp_path):
    write_answers(tmp_path, {"q1": "旧选项", "q3": "yes", "s1": 9, "q2": ["甲", 3]})
    lesson = full_lesson(tmp_path)
    assert lesson.widgets["q1"].value is None
    assert lesson.widgets["q3"].value is None
    assert lesson.widgets["s1"].value is None
    assert not any(box.value for box in lesson.widgets["q2"])
    lesson.widgets["q4"].value = "新"
    assert saved(tmp_path)["answers"]["q1"] == "旧选项"


def test_two_lessons_in_one_folder_keep_each_others_answers(shown, tmp_path):
    first, second = Lesson(folder=tmp_path), Lesson(folder=tmp_path)
    first.fill_in("a1", "第一课的题")
    second.fill_in("b1", "第二课的题")
    first.widgets["a1"].value = "甲"
    second.widgets["b1"].value = "乙"
    first.widgets["a1"].value = "丙"
    assert saved(tmp_path)["answers"] == {"a1": "丙", "b1": "乙"}


def test_a_duplicate_question_id_is_refused(shown, tmp_path):
    lesson = Lesson(folder=tmp_path)
    lesson.single_choice("q1", "一", ["甲", "乙"])
    with pytest.raises(ValueError, match="重复"):
        lesson.fill_in("q1", "二")
    with pytest.raises(ValueError, match="选项不能重复"):
        lesson.single_choice("q9", "三", ["甲", "甲"])
    with pytest.raises(ValueError, match="题目编号"):
        lesson.true_false("", "四")


def test_a_corrupt_sidecar_is_kept_aside_and_the_learner_told(shown, tmp_path):
    (tmp_path / "answers.json").write_text('{"version": 1, "answers": {"r1": "写了一半', "utf-8")
    lesson = full_lesson(tmp_path)
    backups = list(tmp_path.glob("answers.json.bad-*"))
    assert len(backups) == 1
    assert backups[0].read_text(encoding="utf-8").endswith("写了一半")
    assert lesson.widgets["r1"].value == ""
    notices = [item.data for item in shown if hasattr(item, "data") and "无法读取" in item.data]
    assert notices and backups[0].name in notices[0]
    lesson.widgets["q1"].value = "选项甲"
    assert saved(tmp_path)["answers"] == {"q1": "选项甲"}
    assert len(list(tmp_path.glob("answers.json.bad-*"))) == 1


def test_a_sidecar_that_is_not_utf8_or_not_ours_is_kept_too(shown, tmp_path):
    (tmp_path / "answers.json").write_bytes("心得".encode("gbk"))
    Lesson(folder=tmp_path)
    (tmp_path / "answers.json").write_text("[1, 2]", encoding="utf-8")
    Lesson(folder=tmp_path)
    assert len(list(tmp_path.glob("answers.json.bad-*"))) == 2
    assert not (tmp_path / "answers.json").exists()


def test_an_unreadable_sidecar_still_opens_the_page(shown, tmp_path):
    (tmp_path / "answers.json").mkdir()
    lesson = full_lesson(tmp_path)
    assert any("无法读取" in getattr(item, "data", "") for item in shown)
    lesson.widgets["q4"].value = "文化"
    assert "没有保存成功" in lesson._questions["q4"].status.value
    answer_all(lesson)
    assert lesson.submit().message == NOT_SAVED


def test_a_failed_save_is_shown_in_chinese(shown, tmp_path, monkeypatch):
    lesson = full_lesson(tmp_path)

    def broken(changes):
        raise OSError("disk full")

    monkeypatch.setattr(lesson.sidecar, "update", broken)
    lesson.widgets["q4"].value = "文化"
    status = lesson._questions["q4"].status
    assert "没有保存成功" in status.value and "disk full" not in status.value
    monkeypatch.undo()
    lesson.widgets["q4"].value = "文化自信"
    assert status.value == ""


def test_reflection_counts_characters_live(shown, tmp_path):
    lesson = full_lesson(tmp_path)
    count = lesson._questions["r1"].count
    assert "已写 0 字，至少 100 字" in count.value
    lesson.widgets["r1"].value = "字" * 30 + " \n " + "ｘ" * 7
    assert "已写 37 字，至少 100 字" in count.value


# -- submitting ------------------------------------------------------------------------------


def test_submit_lists_what_is_missing(shown, tmp_path):
    lesson = full_lesson(tmp_path)
    calls = []
    lesson.on_submit = calls.append
    lesson.widgets["q1"].value = "选项乙"
    lesson.widgets["r1"].value = "心" * 37
    lesson.submit_button()
    panel = lesson.submit_panels[0]
    assert panel.button.description == "提交本单元"
    panel.button.click()
    outcome = panel.outcome
    assert not outcome.ok and calls == []
    assert outcome.message.startswith("还有 5 项没有完成")
    assert outcome.missing == [
        "多选题「题目文字（可多选）」尚未作答",
        "判断题「判断：……」尚未作答",
        "填空题「填空：……」尚未作答",
        "评价「您对本课的满意度」尚未作答",
        "学习心得「请结合自己的创作实践，写一段学习心得。」已写 37 字，至少 100 字",
    ]
    for item in outcome.missing:
        assert item in panel.message.value
    assert not panel.button.disabled


def test_submit_without_a_handler_only_saves(shown, tmp_path):
    lesson = full_lesson(tmp_path)
    answer_all(lesson)
    (tmp_path / "answers.json").unlink()
    lesson.submit_button()
    lesson.submit_panels[0].button.click()
    assert lesson.submit_panels[0].outcome.message == NOT_OPEN
    assert NOT_OPEN in lesson.submit_panels[0].message.value
    assert saved(tmp_path)["answers"] == lesson.answers


def test_submit_calls_the_platform_handler_with_the_answers(shown, tmp_path, monkeypatch):
    received = []
    monkeypatch.setattr(Lesson, "on_submit", received.append)  # set class-wide, like a platform
    lesson = full_lesson(tmp_path)
    answer_all(lesson)
    outcome = lesson.submit()
    assert outcome.ok and outcome.message == SUBMITTED
    assert received == [
        {
            "q1": "选项乙",
            "q2": ["甲", "丙"],
            "q3": True,
            "q4": "文化自信",
            "s1": 4,
            "r1": "心" * 120,
        }
    ]
    lesson.on_submit = lambda answers: "已提交，等待教师评阅。"
    assert lesson.submit().message == "已提交，等待教师评阅。"


def test_a_failing_handler_is_shown_in_chinese(shown, tmp_path, capsys):
    lesson = full_lesson(tmp_path)
    answer_all(lesson)

    def broken(answers):
        raise KeyError("exchange_token")

    lesson.on_submit = broken
    lesson.submit_button()
    panel = lesson.submit_panels[0]
    panel.button.click()
    assert panel.outcome.message == FAILED
    assert "Traceback" not in panel.message.value and "exchange_token" not in panel.message.value

    def closed(answers):
        raise SubmitError("已过提交截止时间<b>。")

    lesson.on_submit = closed
    panel.button.click()
    assert not panel.outcome.ok
    assert "已过提交截止时间&lt;b&gt;。" in panel.message.value


# -- grading ----------------------------------------------------------------------------------


def test_expect_for_each_question_type(shown, tmp_path):
    answer_all(full_lesson(tmp_path))
    expect("q1", "选项乙", folder=tmp_path)
    expect("q2", ["丙", "甲"], folder=tmp_path)
    expect("q3", True, folder=tmp_path)
    expect("q4", "文化自信", "文化自信自强", folder=tmp_path)
    expect("s1", 4, folder=tmp_path)
    assert reflection_text("r1", folder=tmp_path) == "心" * 120
    assert reflection_text("r9", folder=tmp_path) == ""


@pytest.mark.parametrize(
    ("question_id", "right"),
    [
        ("q1", ("选项丙",)),
        ("q2", (["甲", "乙"],)),
        ("q2", (["甲"],)),
        ("q3", (False,)),
        ("q4", ("坚定文化自信", "文化自强")),
        ("s1", (5,)),
    ],
)
def test_a_wrong_answer_fails_without_revealing_the_key(shown, tmp_path, question_id, right):
    answer_all(full_lesson(tmp_path))
    with pytest.raises(AssertionError) as failure:
        expect(question_id, *right, folder=tmp_path)
    message = str(failure.value)
    assert "不正确" in message
    for answer in right:
        for text in answer if isinstance(answer, list) else [answer]:
            assert str(text) not in message


def test_a_missing_answer_or_file_fails_in_chinese(shown, tmp_path):
    with pytest.raises(AssertionError, match="没有找到答案文件"):
        expect("q1", "选项乙", folder=tmp_path)
    write_answers(tmp_path, {"q4": "文化自信"})
    with pytest.raises(AssertionError, match="尚未作答") as failure:
        expect("q1", "选项乙", folder=tmp_path)
    assert "选项乙" not in str(failure.value)
    (tmp_path / "answers.json").write_text("{", encoding="utf-8")
    with pytest.raises(AssertionError, match="无法读取"):
        expect("q4", "文化自信", folder=tmp_path)


def test_a_bool_is_not_a_number_nor_a_string(tmp_path):
    write_answers(tmp_path, {"q3": 1, "s1": True, "q4": "True"})
    for question_id, key in (("q3", True), ("s1", 1), ("q4", True)):
        with pytest.raises(AssertionError):
            expect(question_id, key, folder=tmp_path)


def test_fill_in_is_compared_after_nfkc_and_whitespace(tmp_path):
    write_answers(tmp_path, {"q4": "　文化　 自信\n", "q5": "ＡＢＣ１２３", "q6": "文化 自信"})
    expect("q4", "文化 自信", folder=tmp_path)
    expect("q5", "ABC123", folder=tmp_path)
    with pytest.raises(AssertionError):
        expect("q6", "文化自信", folder=tmp_path)


def test_expect_reads_the_current_directory(tmp_path, monkeypatch):
    write_answers(tmp_path, {"q1": "选项乙"})
    monkeypatch.chdir(tmp_path)
    expect("q1", "选项乙")
    with pytest.raises(TypeError):
        expect("q1")


def test_under_nbgrader_a_reflection_is_also_shown_as_markdown(shown, tmp_path, monkeypatch):
    write_answers(
        tmp_path, {"r1": "我的心得 <script>alert(1)</script>\n\n[链接](javascript:x) *强调*"}
    )
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    lesson = Lesson(folder=tmp_path)
    lesson.reflection("r1", PROMPTS["r1"], min_length=10)
    assert isinstance(lesson.widgets["r1"], w.Textarea)
    markdown = [item for item in shown if type(item).__name__ == "Markdown"]
    assert len(markdown) == 1
    text = markdown[0].data
    assert "我的心得" in text and PROMPTS["r1"] in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\[链接\\]\\(javascript\\:x\\)" in text and "\\*强调\\*" in text
    assert "已写" in text


# -- media -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", ["http://example.com/a.png", "https://cdn.example.com/b.mp4", "//cdn/x.png"]
)
def test_internet_media_is_refused(shown, tmp_path, source):
    lesson = Lesson(folder=tmp_path)
    for method in (lesson.image, lesson.audio, lesson.video):
        with pytest.raises(ValueError, match="网络"):
            method(source, caption="图注")


def test_missing_or_unsupported_media_files_are_explained(shown, tmp_path):
    lesson = Lesson(folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="找不到图片文件"):
        lesson.image("没有.png")
    (tmp_path / "a.bmp").write_bytes(b"BM")
    with pytest.raises(ValueError, match="不支持的图片格式"):
        lesson.image("a.bmp")


def test_image_from_a_file_with_caption_below(shown, tmp_path):
    (tmp_path / "图.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    lesson = Lesson(folder=tmp_path)
    assert lesson.image("图.png", caption="图 1：<山水>") is None
    html = lesson.media[-1].data
    assert 'src="data:image/png;base64,' in html and "http" not in html
    assert html.index("<img") < html.index("<figcaption")
    assert "图 1：&lt;山水&gt;" in html and 'alt="图 1：&lt;山水&gt;"' in html


def test_image_from_a_matplotlib_figure(shown, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(2, 1))
    axes.plot([1, 2], [3, 4])
    lesson = Lesson(folder=tmp_path)
    lesson.image_figure(figure, caption="折线")
    assert 'src="data:image/png;base64,iVBOR' in lesson.media[-1].data
    assert not plt.fignum_exists(figure.number), "shown twice by the inline backend"


def test_audio_from_samples_is_wav(shown, tmp_path):
    lesson = Lesson(folder=tmp_path)
    t = np.arange(2205) / 22050
    lesson.audio(1.5 * np.sin(2 * np.pi * 440 * t), rate=22050, caption="标准音")
    player = lesson.media[-1]
    audio = player.children[0]
    assert isinstance(audio, w.Audio) and audio.format == "wav" and audio.autoplay is False
    assert "标准音" in player.children[1].value
    with wave.open(io.BytesIO(bytes(audio.value))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert len(frames) == 2205 and frames.max() == 32767  # clipped, not wrapped
    lesson.audio(np.zeros((100, 2)), rate=8000)
    with wave.open(io.BytesIO(bytes(lesson.media[-1].children[0].value))) as wav:
        assert wav.getnchannels() == 2
    with pytest.raises(ValueError, match="采样率"):
        lesson.audio(np.zeros(10))
    with pytest.raises(ValueError, match="无效"):
        lesson.audio(np.array([0.0, np.nan]), rate=8000)


def test_audio_and_video_files_are_embedded(shown, tmp_path):
    (tmp_path / "曲.mp3").write_bytes(b"ID3fake")
    (tmp_path / "课.mp4").write_bytes(b"\0\0\0 ftypisom")
    lesson = Lesson(folder=tmp_path)
    lesson.audio("曲.mp3", caption="古琴")
    lesson.video("课.mp4", caption="示范")
    audio, video = (item.children[0] for item in lesson.media)
    assert bytes(audio.value) == b"ID3fake" and audio.format == "mpeg"
    assert isinstance(video, w.Video) and video.format == "mp4" and video.autoplay is False
    assert "示范" in lesson.media[1].children[1].value
