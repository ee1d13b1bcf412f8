"""Synthetic platform data for benchmarks and demos (``yiyuan demo generate``).

Fills an upgraded platform database with what a city federation's year looks like: members of
the associations (some in two, a few in the presidium), courses with on-line and on-site
modules, enrolments, module results, the study-hours ledger, completions, events, programmes
and cohorts. No hub is needed.

Written for speed: rows are built as plain dicts a batch of members at a time and written with
bulk Core inserts in one transaction (nothing half-written), with no per-row query and one
password hash shared by every account. The per-enrolment rollup columns are computed while the
results are drawn, so they agree with the rows without a million-row UPDATE afterwards
(``tests/test_synthetic.py`` checks them against GROUP BY queries).

The same seed gives the same data (and the same counts).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from ..accounts.passwords import hash_password
from ..db import Database
from ..errors import YiyuanError
from ..models import (
    Account,
    AccountRole,
    Association,
    Cohort,
    CohortCourse,
    CohortMember,
    Course,
    CourseTrainer,
    Member,
    Membership,
    Module,
    ModuleKind,
    OnsiteSession,
    Programme,
    Role,
    Standing,
    utcnow,
)
from .activity import Activity
from .plan import PlannedCourse, PlannedModule

#: every synthetic account's password (demo and benchmark databases only)
SYNTHETIC_PASSWORD = "yiyuan-demo-2026"

# Usernames this module makes: syn00001, synadmin, syntrainer01, synmgr01, and with --force on a
# database that already has them syn2-00001, syn2-admin …
_SYNTHETIC_USERNAME = re.compile(r"^syn(\d+-)?(\d{5,}|admin|trainer\d+|mgr\d+)$")

_INSERT_CHUNK = 10_000
_MEMBER_BATCH = 1_000

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华文玉兰红梅玲飞云鹏辉宇浩然欣怡晨阳思雨涵博雅琴书墨韵"
_WORK_UNITS = (
    "市文化馆",
    "市群众艺术馆",
    "市歌舞剧院",
    "市图书馆",
    "市博物馆",
    "市美术馆",
    "市书画院",
    "市艺术学校",
    "市青少年宫",
    "市广播电视台",
    "市日报社",
    "区文化站",
    "市第一中学",
    "自由职业",
)
# larger associations get more members (by association code; others weigh 1)
_ASSOCIATION_WEIGHTS = {
    "writers": 3.0,
    "fine-arts": 3.0,
    "calligraphy": 3.0,
    "photography": 2.5,
    "music": 2.0,
    "dance": 1.5,
    "theatre": 1.0,
    "quyi": 0.7,
    "acrobatics": 0.4,
    "folk-arts": 0.8,
    "criticism": 0.5,
}
_COURSE_TITLES = (
    ("理论学习", "学习贯彻党的二十大精神·文艺专题"),
    ("理论学习", "新时代文艺工作者职业道德"),
    ("艺术鉴赏", "书法艺术鉴赏入门"),
    ("艺术鉴赏", "中国画的笔墨与意境"),
    ("艺术鉴赏", "西方美术简史"),
    ("专业提升", "音乐基础与视唱练耳"),
    ("专业提升", "摄影构图与用光"),
    ("专业提升", "舞蹈编创基础"),
    ("专业提升", "戏剧表演与台词"),
    ("专业提升", "曲艺说唱技巧"),
    ("专业提升", "散文与诗歌创作"),
    ("专业提升", "文艺评论写作"),
    ("传承创新", "非物质文化遗产保护实务"),
    ("传承创新", "民间工艺的传承与创新"),
    ("新媒体", "新媒体传播与短视频创作"),
    ("新媒体", "文艺活动的策划与推广"),
)
_PLACES = ("市新时代文明实践中心", "市书法家协会创作基地", "市美术馆", "市文化馆排练厅")


class SyntheticDataRefused(YiyuanError):
    """The database holds real data and ``force`` was not given, or the arguments are bad."""


def generate(
    database: Database,
    *,
    members: int = 20000,
    courses: int = 50,
    modules_per_course: int = 5,
    cohorts: int = 6,
    seed: int = 2026,
    force: bool = False,
    now: datetime | None = None,
) -> dict[str, int]:
    """Fill ``database`` (already upgraded) with synthetic data; returns rows written per table.

    Refuses with :class:`SyntheticDataRefused` when the database already holds a member or an
    account this module did not make, unless ``force`` (then adds alongside, with usernames
    that do not collide).
    """
    if members < 1 or courses < 1 or modules_per_course < 1 or cohorts < 0:
        raise SyntheticDataRefused("会员数、课程数、每门课单元数须至少为 1，期次数不能为负数。")
    now = now or utcnow()
    rng = random.Random(seed)
    with database.session() as session:
        writer = _Writer(session)
        prefix = _prefix(session, force)
        associations = session.execute(
            select(Association.id, Association.code, Association.short_name)
            .where(Association.active.is_(True))
            .order_by(Association.sort_order, Association.id)
        ).all()
        if not associations:
            raise SyntheticDataRefused("数据库中还没有协会：请先运行 `yiyuan db upgrade`。")
        # one hash for every account: argon2 per row would take longer than everything else
        password_hash = hash_password(SYNTHETIC_PASSWORD)
        trainer_ids = _staff(writer, prefix, password_hash, associations, courses, now)
        catalogue = _courses(writer, rng, prefix, associations, courses, modules_per_course, now)
        _course_trainers(writer, rng, catalogue, trainer_ids)
        cohort_plan = _cohorts(writer, rng, prefix, catalogue, members, cohorts, now)
        _learners(
            writer,
            rng,
            seed,
            prefix,
            associations,
            catalogue,
            cohort_plan,
            members,
            now,
            password_hash,
        )
        return dict(writer.counts)


class _Writer:
    """Bulk inserts in chunks, counting rows per table.

    On PostgreSQL the big tables go through COPY: psycopg 3 runs a Core executemany without
    RETURNING as one INSERT per row (pipelined), about 28,000 rows/s here, while COPY of the same
    rows, converted by SQLAlchemy's own bind processors, is about four times faster.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counts: Counter[str] = Counter()
        self.copy = session.get_bind().dialect.name == "postgresql"

    def insert(self, table: Table, rows: list[dict]) -> None:
        self.counts[table.name] += len(rows)
        if not rows:
            return
        if self.copy:
            self._copy(table, rows)
            return
        for start in range(0, len(rows), _INSERT_CHUNK):
            self.session.execute(insert(table), rows[start : start + _INSERT_CHUNK])

    def _copy(self, table: Table, rows: list[dict]) -> None:
        connection = self.session.connection()
        names = list(rows[0])
        processors = [
            table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect)
            for name in names
        ]
        pairs = list(zip(names, processors, strict=True))
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
        with connection.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([p(row[n]) if p else row[n] for n, p in pairs])

    def insert_ids(self, table: Table, rows: list[dict]) -> list[int]:
        """Insert and return the new ids in the order of ``rows``."""
        ids: list[int] = []
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for start in range(0, len(rows), _INSERT_CHUNK):
            ids += self.session.scalars(statement, rows[start : start + _INSERT_CHUNK]).all()
        self.counts[table.name] += len(rows)
        return ids


def _prefix(session: Session, force: bool) -> str:
    """The username prefix of this run; refuses when the database holds real data."""
    has_member = session.scalar(select(Member.id).limit(1)) is not None
    usernames = list(session.scalars(select(Account.username)))
    real = any(not _SYNTHETIC_USERNAME.match(name) for name in usernames)
    if (has_member or real) and not force:
        raise SyntheticDataRefused(
            "数据库中已有会员或账号，为免与真实数据混在一起，未写入任何模拟数据；"
            "确需在此库中追加模拟数据，请加 --force。"
        )
    candidates = ["syn"] + [f"syn{n}-" for n in range(2, 1000)]
    return next(p for p in candidates if not any(name.startswith(p) for name in usernames))


def _account(username: str, display_name: str, password_hash: str, now: datetime) -> dict:
    return {
        "username": username,
        "display_name": display_name,
        "password_hash": password_hash,
        "must_change_password": False,
        "active": True,
        "created_at": now,
    }


def _staff(writer, prefix, password_hash, associations, courses, now) -> list[int]:
    """The administrator, one manager per association and a handful of trainers."""
    trainers = max(2, min(12, courses // 4))
    rows = [_account(f"{prefix}admin", "模拟管理员", password_hash, now)]
    rows += [
        _account(f"{prefix}mgr{i:02d}", f"{short}秘书（模拟）", password_hash, now)
        for i, (_, _, short) in enumerate(associations, 1)
    ]
    rows += [
        _account(f"{prefix}trainer{i:02d}", f"模拟教师{i}", password_hash, now)
        for i in range(1, trainers + 1)
    ]
    ids = writer.insert_ids(Account.__table__, rows)
    manager_ids = ids[1 : 1 + len(associations)]
    trainer_ids = ids[1 + len(associations) :]
    roles = [{"account_id": ids[0], "role": Role.administrator, "association_id": None}]
    roles += [
        {"account_id": account_id, "role": Role.manager, "association_id": association_id}
        for account_id, (association_id, _, _) in zip(manager_ids, associations, strict=True)
    ]
    roles += [
        {"account_id": account_id, "role": Role.trainer, "association_id": None}
        for account_id in trainer_ids
    ]
    writer.insert(AccountRole.__table__, roles)
    return trainer_ids


def _courses(writer, rng, prefix, associations, count, per_course, now) -> list[PlannedCourse]:
    """Courses and their modules; about 3 in 10 required, 1 in 5 with an on-site module."""
    shorts = {association_id: short for association_id, _, short in associations}
    plans, rows = [], []
    for index in range(count):
        category, title = _COURSE_TITLES[index % len(_COURSE_TITLES)]
        if index >= len(_COURSE_TITLES):
            title = f"{title}（{index // len(_COURSE_TITLES) + 1}）"
        # the first two courses are the all-member theory courses; then 1 in 4 is required
        required = index < 2 or rng.random() < 0.25
        audience = None
        if required and index >= 2:
            audience = frozenset(rng.sample(sorted(shorts), min(len(shorts), rng.randint(1, 2))))
        opens = now - timedelta(days=rng.uniform(14, 240))
        due = opens + timedelta(days=rng.uniform(60, 180))  # some are already past
        code = f"{prefix.rstrip('-')}-c{index + 1:03d}"
        plans.append(PlannedCourse(index, 0, required, audience, opens))
        rows.append(
            {
                "code": code,
                "title": title,
                "summary": f"{title}（模拟数据）",
                "category": category,
                "enrolment": "required" if required else "elective",
                "opens": opens,
                "due": due,
                "manifest": {
                    "id": code,
                    "title": title,
                    "category": category,
                    "audience": {
                        "associations": ["全部"]
                        if audience is None
                        else sorted(shorts[a] for a in audience)
                    },
                    "enrolment": "required" if required else "elective",
                    "opens": opens.date().isoformat(),
                    "due": due.date().isoformat(),
                },
                "version": 1,
                "published_at": opens,
                "published_by": f"{prefix}admin",
                "active": True,
            }
        )
    for plan, course_id in zip(plans, writer.insert_ids(Course.__table__, rows), strict=True):
        plan.id = course_id
    module_rows = []
    for plan, course in zip(plans, rows, strict=True):
        onsite_at = per_course - 1 if per_course > 1 and plan.index % 5 == 2 else None
        for position in range(per_course):
            onsite = position == onsite_at
            starts = plan.opens + timedelta(days=rng.uniform(20, 60)) if onsite else None
            hours = 3.0 if onsite else rng.choice((0.5, 1.0, 1.0, 1.5))
            plan.modules.append(PlannedModule(0, plan.id, onsite, hours, not onsite, starts))
            module_rows.append(
                {
                    "course_id": plan.id,
                    "code": f"{course['code']}-m{position + 1}",
                    "title": f"现场教学：{rng.choice(_PLACES)}"
                    if onsite
                    else f"{course['title']}·第{position + 1}单元",
                    "kind": ModuleKind.onsite if onsite else ModuleKind.online,
                    "position": position,
                    "hours": hours,
                    "required": not onsite,
                    "pass_rule": {"attendance": True}
                    if onsite
                    else {"quiz": 60, "reflection": True},
                    "reflections": [] if onsite else ["xinde"],
                    "lessons": [] if onsite else [f"lesson{position + 1}.ipynb"],
                    "session": {"place": _PLACES[0], "starts": starts.isoformat(), "hours": hours}
                    if onsite
                    else {},
                    "release": 0 if onsite else 1,
                    "release_checksum": "",
                    "released_at": None if onsite else plan.opens,
                    "active": True,
                }
            )
    ids = iter(writer.insert_ids(Module.__table__, module_rows))
    for plan in plans:
        for module in plan.modules:
            module.id = next(ids)
    _sessions(writer, [m for plan in plans for m in plan.modules if m.onsite])
    return plans


def _sessions(writer, onsite: list[PlannedModule]) -> None:
    """One sitting per on-site module, as publishing a manifest's ``session`` makes."""
    rows = [
        {
            "module_id": module.id,
            "code": "s1",
            "position": 0,
            "place": _PLACES[0],
            "starts_at": module.starts,
            "hours": module.hours,
            "trainer_id": None,
            "active": True,
            "checkin_code": "",
            "checkin_opens_at": None,
            "checkin_closes_at": None,
            "checkin_opened_by": "",
        }
        for module in onsite
    ]
    for module, session_id in zip(
        onsite, writer.insert_ids(OnsiteSession.__table__, rows), strict=True
    ):
        module.session_id = session_id


def _course_trainers(writer, rng, catalogue, trainer_ids) -> None:
    rows = []
    for course in catalogue:
        for account_id in rng.sample(trainer_ids, 2 if rng.random() < 0.3 else 1):
            rows.append({"course_id": course.id, "account_id": account_id})
    writer.insert(CourseTrainer.__table__, rows)


def _cohorts(
    writer, rng, prefix, catalogue, members, count, now
) -> list[tuple[int, set[int], list]]:
    """Programmes and cohorts; returns (cohort id, member indexes, courses) per cohort."""
    if count == 0:
        return []
    tag = prefix.rstrip("-")
    names = ["文艺骨干培训", "青年文艺人才研修"][: 1 if count <= 3 else 2]
    programme_ids = writer.insert_ids(
        Programme.__table__,
        [
            {
                "code": f"{tag}-p{i}",
                "name": name,
                "description": f"{name}（模拟数据）",
                "active": True,
                "created_at": now,
            }
            for i, name in enumerate(names, 1)
        ],
    )
    size = min(members, max(20, members // 50))
    rows, plan = [], []
    for i in range(count):
        starts = (now - timedelta(days=180) + timedelta(days=i * 150 / max(1, count))).date()
        programme = i % len(names)
        rows.append(
            {
                "code": f"{tag}-k{i + 1:02d}",
                "name": f"{starts.year}年第{i + 1}期{names[programme]}班",
                "programme_id": programme_ids[programme],
                "starts_on": starts,
                "ends_on": starts + timedelta(days=45),
                "active": True,
                "closed_at": None,
                "created_at": now,
            }
        )
        chosen = rng.sample(catalogue, min(len(catalogue), rng.randint(3, 6)))
        plan.append((set(rng.sample(range(members), size)), chosen))
    ids = writer.insert_ids(Cohort.__table__, rows)
    writer.insert(
        CohortCourse.__table__,
        [
            {"cohort_id": cohort_id, "course_id": course.id}
            for cohort_id, (_, chosen) in zip(ids, plan, strict=True)
            for course in chosen
        ],
    )
    return [(cohort_id, who, chosen) for cohort_id, (who, chosen) in zip(ids, plan, strict=True)]


def _mobiles(session: Session, seed: int, count: int) -> list[str]:
    """Unique 11-digit mobile numbers not already in the database.

    From a random stream of their own, so that redrawing numbers that are taken does not change
    what the main stream draws (the same seed gives the same counts with ``force``, too).
    """
    rng = random.Random(f"mobiles-{seed}")
    taken = set(session.scalars(select(Member.mobile)))
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < count:
        for suffix in rng.sample(range(10**9), count - len(found)):
            mobile = f"1{rng.randint(3, 9)}{suffix:09d}"
            if mobile not in taken and mobile not in seen:
                seen.add(mobile)
                found.append(mobile)
    return found


def _learners(
    writer, rng, seed, prefix, associations, catalogue, cohort_plan, members, now, pw
) -> None:
    """Learners' accounts, members, memberships, then everything they did, a batch at a time."""
    association_ids = [association_id for association_id, _, _ in associations]
    weights = [_ASSOCIATION_WEIGHTS.get(code, 1.0) for _, code, _ in associations]
    mobiles = _mobiles(writer.session, seed, members)
    width = max(5, len(str(members)))
    # courses every member of an association is enrolled in (required, targeted)
    for_all = [c for c in catalogue if c.required and c.audience is None]
    targeted = [c for c in catalogue if c.required and c.audience is not None]
    electives = [c for c in catalogue if not c.required]
    wanted = max(1, round(len(catalogue) * 0.2))  # about 10 of 50
    in_cohorts: dict[int, list[PlannedCourse]] = {}
    cohort_rows: list[tuple[int, int]] = []  # (cohort id, member index)
    for cohort_id, who, chosen in cohort_plan:
        for index in who:
            in_cohorts.setdefault(index, []).extend(chosen)
            cohort_rows.append((cohort_id, index))
    account_ids: list[int] = []
    for start in range(0, members, _MEMBER_BATCH):
        indexes = range(start, min(members, start + _MEMBER_BATCH))
        people = []
        for index in indexes:
            name = rng.choice(_SURNAMES) + "".join(
                rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2)))
            )
            first = rng.choices(association_ids, weights)[0]
            joined = [first]
            if rng.random() < 0.15 and len(association_ids) > 1:
                joined.append(rng.choice([a for a in association_ids if a != first]))
            people.append((index, name, joined))
        ids = writer.insert_ids(
            Account.__table__,
            [
                _account(f"{prefix}{index + 1:0{width}d}", name, pw, now)
                for index, name, _ in people
            ],
        )
        account_ids += ids
        writer.insert(
            AccountRole.__table__,
            [{"account_id": i, "role": Role.learner, "association_id": None} for i in ids],
        )
        member_ids = writer.insert_ids(
            Member.__table__,
            [
                {
                    "name": name,
                    "mobile": mobiles[index],
                    "email": "",
                    "gender": rng.choice("MF"),
                    "work_unit": rng.choice(_WORK_UNITS),
                    "active": True,
                    "account_id": account_id,
                    "created_at": now,
                    "updated_at": now,
                    "deactivated_at": None,
                }
                for (index, name, _), account_id in zip(people, ids, strict=True)
            ],
        )
        writer.insert(
            Membership.__table__,
            [
                {
                    "member_id": member_id,
                    "association_id": association_id,
                    "standing": _standing(rng),
                    "active": True,
                    "joined_at": now - timedelta(days=rng.uniform(30, 3650)),
                    "left_at": None,
                }
                for (_, _, joined), member_id in zip(people, member_ids, strict=True)
                for association_id in joined
            ],
        )
        activity = Activity(rng, now)
        for (index, _, joined), account_id in zip(people, ids, strict=True):
            mine = {c.id: c for c in for_all}
            mine.update((c.id, c) for c in targeted if c.audience & set(joined))
            mine.update((c.id, c) for c in in_cohorts.get(index, []))
            free = [c for c in electives if c.id not in mine]
            extra = max(0, wanted - len(mine))
            for course in rng.sample(free, min(extra, len(free))):
                mine[course.id] = course
            for course in sorted(mine.values(), key=lambda c: c.index):
                activity.enrol(account_id, course, elective=not course.required)
        activity.write(writer)
    writer.insert(
        CohortMember.__table__,
        [
            {
                "cohort_id": cohort_id,
                "account_id": account_ids[index],
                "source": "admin",
                "added_at": now,
            }
            for cohort_id, index in cohort_rows
        ],
    )


def _standing(rng: random.Random) -> Standing:
    draw = rng.random()
    if draw < 0.03:
        return Standing.presidium
    if draw < 0.13:
        return Standing.council
    return Standing.member
