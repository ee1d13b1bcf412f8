"""Media for lessons: images, audio and video embedded in the page, never linked.

Learners are often on an intranet or behind a firewall: a lesson must not load anything from
the internet, so URLs are refused and local files are embedded. Images become one HTML
``<figure>`` output (data URI, with alt text and caption), which also shows in exports and in
formgrader. Audio and video become ipywidgets ``Audio``/``Video``: their bytes travel over the
kernel connection as binary and play from a blob URL, which works in Voila without the server
having to serve the file.
"""

from __future__ import annotations

import base64
import io
import re
import sys
import wave
from pathlib import Path
from typing import Any

import ipywidgets as w

from .text import escape

MB = 1024 * 1024
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
AUDIO_FORMATS = {".wav": "wav", ".mp3": "mpeg", ".ogg": "ogg", ".oga": "ogg", ".m4a": "mp4"}
VIDEO_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".webm": "webm", ".ogv": "ogg"}
# Below nbgrader's own per-file limit (CourseDirectory.max_file_size, 100000 KB), above which
# it leaves a file out of the release with only a warning.
LIMITS = {"图片": 10 * MB, "音频": 30 * MB, "视频": 80 * MB}

# scheme://… (http, https, ftp, file), protocol-relative //host/…, data: URIs, \\server\share
_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]+:/|//|\\\\|data:)", re.IGNORECASE)


def local_file(folder: Path, source: str | Path, what: str, types: dict[str, str]) -> Path:
    """The local file ``source`` (relative to the lesson's folder), checked; Chinese errors."""
    text = str(source)
    if _URL.match(text):
        raise ValueError(
            f"不能使用网络上的{what}（{text}）：内网学员无法打开外部链接。"
            f"请把{what}文件下载后放在课件所在的文件夹中，再用文件名引用。"
        )
    path = Path(folder) / source
    if path.suffix.lower() not in types:
        kinds = "、".join(sorted({suffix.lstrip(".") for suffix in types}))
        raise ValueError(f"不支持的{what}格式：{path.name}（可用的格式：{kinds}）。")
    if not path.is_file():
        raise FileNotFoundError(f"找不到{what}文件：{text}（路径相对于课件所在的文件夹）。")
    size = path.stat().st_size
    if size > LIMITS[what]:
        raise ValueError(
            f"{what}文件太大：{path.name} 有 {size / MB:.1f} MB，"
            f"上限 {LIMITS[what] // MB} MB。请压缩后再使用。"
        )
    return path


def caption_widget(caption: str | None) -> list[w.HTML]:
    if not caption:
        return []
    return [w.HTML(value=f'<div class="yiyuan-caption">{escape(caption)}</div>')]


def figure_html(
    data: bytes, mime: str, caption: str | None, alt: str | None, width: int | None = None
) -> str:
    """An image as a self-contained ``<figure>``: alt text for screen readers, caption below."""
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    size = f' width="{width}"' if width else ""
    alt_text = escape(alt if alt is not None else caption or "")
    caption_html = (
        f'<figcaption class="yiyuan-caption" style="color:#555;text-align:center;'
        f'margin-top:0.3em">{escape(caption)}</figcaption>'
        if caption
        else ""
    )
    return (
        f'<figure class="yiyuan-figure" style="margin:1em 0;text-align:center">'
        f'<img src="{uri}" alt="{alt_text}"{size} style="max-width:100%;height:auto">'
        f"{caption_html}</figure>"
    )


FIGURE_DPI = 144  # sharp on high-density screens; shown at 96 dpi (see png_display_width)


def png_display_width(png: bytes) -> int:
    """The CSS width that shows a figure rendered at FIGURE_DPI at its natural size."""
    return round(int.from_bytes(png[16:20], "big") * 96 / FIGURE_DPI)


def figure_png(figure: Any) -> bytes:
    """A matplotlib Figure as PNG bytes; pyplot's copy is closed so it is not shown twice."""
    if not hasattr(figure, "savefig"):
        raise TypeError("image_figure() 需要一个 matplotlib 图形（Figure）。")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(figure)
    return buffer.getvalue()


def wav_bytes(samples: Any, rate: int) -> bytes:
    """16-bit PCM WAV from samples in [-1, 1]: shape (n,) for mono, (n, channels) otherwise."""
    import numpy as np  # only lessons with generated sound pay for it

    if isinstance(rate, bool) or not isinstance(rate, int) or not 1000 <= rate <= 384000:
        raise ValueError("采样率 rate 必须是 1000 到 384000 之间的整数，例如 22050。")
    array = np.asarray(samples, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0 or not 1 <= array.shape[1] <= 8:
        raise ValueError("声音数据应为一维数组（单声道）或 (采样数, 声道数) 的二维数组。")
    if not np.all(np.isfinite(array)):
        raise ValueError("声音数据中有无效的数值（NaN 或无穷大）。")
    pcm = np.round(np.clip(array, -1.0, 1.0) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(array.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def player(kind: str, data: bytes, fmt: str, caption: str | None) -> w.VBox:
    """An audio or video player (not autoplaying, with controls) and its caption below."""
    if kind == "audio":
        media = w.Audio(value=data, format=fmt, autoplay=False, loop=False, controls=True)
    else:
        media = w.Video(
            value=data,
            format=fmt,
            autoplay=False,
            loop=False,
            controls=True,
            layout=w.Layout(width="100%", max_width="960px"),
        )
    return w.VBox(
        [media, *caption_widget(caption)], layout=w.Layout(margin="1em 0", align_items="center")
    )
