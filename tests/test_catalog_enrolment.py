"""Who a course targets, enrolment (idempotent, re-activating), trainers."""

from __future__ import annotations

from sqlalchemy import func, select

from learningdata import account, course, member
from yiyuan.catalog import enrolment
from yiyuan.demo import seed_demo
from yiyuan.models import Account, CourseTrainer, Enrolment, Member, Membership, Role, Standing


def targets(session, c) -> set[str]:
    ids = set(session.scalars(enrolment.target_account_ids(session, c)))
    return {a for a in ACCOUNTS if ACCOUNTS[a] in ids}


ACCOUNTS: dict[str, int] = {}


def people(session):
    """A small federation: who is in which association, with which standing."""
    made = {
        "shu": (account(session, "shu"), [("书协", Standing.member)]),
        "shumei": (  # in two associations
            account(session, "shumei"),
            [("书协", Standing.council), ("美协", Standing.member)],
        ),
        "zuo": (account(session, "zuo"), [("作协", Standing.presidium)]),
        "left": (account(session, "left"), [("书协", Standing.member, False)]),  # membership ended
        "gone": (account(session, "gone", active=False), [("书协", Standing.member)]),
        "nomember": (account(session, "nomember"), None),  # a learner without a member record
        "trainer": (account(session, "trainer", role=Role.trainer), [("书协", Standing.member)]),
    }
    for acc, memberships in made.values():
        if memberships is not None:
            member(session, acc, *memberships)
    inactive = account(session, "inactivemember")
    member(session, inactive, ("书协", Standing.member), active=False)
    made["inactivemember"] = (inactive, None)
    ACCOUNTS.clear()
    ACCOUNTS.update({name: acc.id for name, (acc, _) in made.items()})
    return {name: acc for name, (acc, _) in made.items()}


def test_targeting(database):
    with database.session() as session:
        people(session)
        everyone = course(session, "all", audience={"associations": ["全部"]})
        assert targets(session, everyone) == {
            "shu", "shumei", "zuo", "left", "nomember", "inactivemember"
        }  # fmt: skip
        by_short = course(session, "shu", audience={"associations": ["书协"]})
        assert targets(session, by_short) == {"shu", "shumei"}
        by_full = course(session, "full", audience={"associations": ["深圳市美术家协会", "作协"]})
        assert targets(session, by_full) == {"shumei", "zuo"}
        # the full name without the city, as the checker accepts it
        no_city = course(session, "nocity", audience={"associations": ["美术家协会"]})
        assert targets(session, no_city) == {"shumei"}
        council = course(
            session, "council", audience={"associations": ["书协", "作协"], "standings": ["理事"]}
        )
        assert targets(session, council) == {"shumei"}
        leaders = course(
            session, "leaders", audience={"associations": ["全部"], "standings": ["主席团成员"]}
        )
        assert targets(session, leaders) == {"zuo"}
        cohort = course(
            session, "cohort", audience={"associations": ["美协"], "cohorts": ["第一期"]}
        )
        assert targets(session, cohort) == {"shumei"}


def test_enrol_targets_once_and_keeps_an_administrators_decision(database):
    with database.session() as session:
        who = people(session)
        c = course(session, "c", audience={"associations": ["书协", "美协"]})
        # shumei is in both associations: enrolled once
        assert enrolment.enrol_targets(session, c) == 2
        assert enrolment.enrol_targets(session, c) == 0
        rows = session.scalars(select(Enrolment).where(Enrolment.course_id == c.id)).all()
        assert sorted(r.account_id for r in rows) == sorted([who["shu"].id, who["shumei"].id])
        assert {r.source for r in rows} == {"rule"}
        assert enrolment.is_enrolled(session, c.id, who["shu"].id)
        assert not enrolment.is_enrolled(session, c.id, who["zuo"].id)
        # an administrator takes shu out: a republish does not put them back
        next(r for r in rows if r.account_id == who["shu"].id).active = False
        assert enrolment.enrol_targets(session, c) == 0
        assert not enrolment.is_enrolled(session, c.id, who["shu"].id)
        # enrolling by hand re-activates
        again = enrolment.enrol(session, c, who["shu"], "admin")
        assert (again.active, again.source) == (True, "admin")
        assert enrolment.enrol(session, c, who["shu"], "self").id == again.id
        assert enrolment.is_enrolled(session, c.id, who["shu"].id)
        assert session.scalar(select(Enrolment.source).where(Enrolment.id == again.id)) == "admin"


def test_may_enrol_only_in_targeted_electives(database):
    with database.session() as session:
        who = people(session)
        elective = course(session, "e", audience={"associations": ["书协"]}, enrolment="elective")
        required = course(session, "r", audience={"associations": ["书协"]}, enrolment="required")
        assert enrolment.may_enrol(session, elective, who["shu"])
        assert not enrolment.may_enrol(session, elective, who["zuo"])  # not targeted
        assert not enrolment.may_enrol(session, elective, who["gone"])  # inactive account
        assert not enrolment.may_enrol(session, elective, who["trainer"])  # not a learner
        assert not enrolment.may_enrol(session, required, who["shu"])  # enrolled by the rule
        elective.active = False
        assert not enrolment.may_enrol(session, elective, who["shu"])


def test_trainers(database):
    with database.session() as session:
        who = people(session)
        a, b = course(session, "b-course"), course(session, "a-course")
        gone = course(session, "gone-course")
        for c in (a, b, gone):
            session.add(CourseTrainer(course_id=c.id, account_id=who["trainer"].id))
        gone.active = False
        session.flush()
        assert enrolment.is_trainer(session, a.id, who["trainer"].id)
        assert not enrolment.is_trainer(session, a.id, who["shu"].id)
        assert [c.code for c in enrolment.courses_of_trainer(session, who["trainer"].id)] == [
            "a-course",
            "b-course",
        ]
        assert enrolment.courses_of_trainer(session, who["shu"].id) == []


def test_demo_learners_are_members_so_targeting_works(database):
    with database.session() as session:
        seed_demo(session, "深圳市")
        seed_demo(session, "深圳市")  # idempotent
        assert session.scalar(select(func.count()).select_from(Member)) == 4
        assert session.scalar(select(func.count()).select_from(Membership)) == 5
        names = {a.id: a.username for a in session.scalars(select(Account))}

        made = []

        def aimed_at(*associations, standings=()):
            audience = {"associations": list(associations), "standings": list(standings)}
            made.append(course(session, f"c{len(made)}", audience=audience))
            ids = session.scalars(enrolment.target_account_ids(session, made[-1]))
            return {names[i] for i in ids}

        assert aimed_at("书协") == {"wangfang"}
        assert aimed_at("音协", "舞协") == {"liuyang", "sunli"}
        assert aimed_at("全部", standings=["主席团成员"]) == {"zhaolei"}
        assert aimed_at("全部") == {"wangfang", "liuyang", "zhaolei", "sunli"}
