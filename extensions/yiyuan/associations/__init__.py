"""The associations usually found in a city federation (GLOSSARY.md). Data, not code paths:
a city adds or renames its own with the same functions (yiyuan.associations.records). No
database here: trainers' servers check course manifests against these names."""

from __future__ import annotations

#: in a course's or cohort's audience: every association
ALL_ASSOCIATIONS = "全部"

#: (code, short name, full name without the city prefix)
STANDARD_ASSOCIATIONS: list[tuple[str, str, str]] = [
    ("writers", "作协", "作家协会"),
    ("fine-arts", "美协", "美术家协会"),
    ("calligraphy", "书协", "书法家协会"),
    ("photography", "摄协", "摄影家协会"),
    ("music", "音协", "音乐家协会"),
    ("dance", "舞协", "舞蹈家协会"),
    ("theatre", "剧协", "戏剧家协会"),
    ("quyi", "曲协", "曲艺家协会"),
    ("acrobatics", "杂协", "杂技家协会"),
    ("folk-arts", "民协", "民间文艺家协会"),
    ("criticism", "评协", "文艺评论家协会"),
]
