"""How learners study each module, and so whether a learner needs a Jupyter server at all.

- ``compiled``: a page served by the yiyuan service (yiyuan.catalog.compile). No server.
- ``live``: the lesson runs code while the learner uses it (detected at publish, or the
  manifest's ``player: live``): Voila in the learner's own, locked-down server.
- ``jupyterlab``: the learner writes code in JupyterLab (the manifest's ``player:
  jupyterlab``, or found at publish: an nbgrader solution cell that is code, as in classic
  nbgrader assignments): a full server.

A learner whose courses are all compiled never has a server started (the hub's spawn hook,
yiyuan.hub.learnerservers, asks :func:`server_needed`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Account, Course, Enrolment, Module, ModuleKind
from ..storage import Storage

COMPILED, LIVE, JUPYTERLAB = "compiled", "live", "jupyterlab"
#: what server a learner gets: none, one that plays lessons only, or JupyterLab
NO_SERVER, LESSON_SERVER, FULL_SERVER = "none", "lessons", "full"


def declared_player(module: Module) -> str:
    """What the course manifest says for the module (``compiled`` when it says nothing)."""
    manifest = module.course.manifest or {}
    for item in manifest.get("modules", []):
        if isinstance(item, dict) and item.get("id") == module.code:
            player = item.get("player", COMPILED)
            return player if player in (COMPILED, LIVE, JUPYTERLAB) else COMPILED
    return COMPILED


def player_of(storage: Storage, module: Module) -> str:
    """How the module is played now: the manifest's word, else what publishing found."""
    from .compile import spec_of

    declared = declared_player(module)
    if declared != COMPILED:
        return declared
    spec = spec_of(storage, module)
    if not spec or not spec.get("live"):
        return COMPILED
    return JUPYTERLAB if spec.get("player") == JUPYTERLAB else LIVE


def server_needed(session: Session, storage: Storage, username: str) -> str:
    """The server a learner's enrolments call for: :data:`FULL_SERVER` when a course has a
    JupyterLab module, :data:`LESSON_SERVER` when one has a live module, else
    :data:`NO_SERVER`."""
    modules = session.scalars(
        select(Module)
        .join(Course, Module.course_id == Course.id)
        .join(Enrolment, Enrolment.course_id == Course.id)
        .join(Account, Account.id == Enrolment.account_id)
        .where(
            Account.username == username,
            Enrolment.active.is_(True),
            Course.active.is_(True),
            Module.active.is_(True),
            Module.kind == ModuleKind.online,
            Module.release > 0,
        )
    )
    needed = NO_SERVER
    for module in modules:
        player = player_of(storage, module)
        if player == JUPYTERLAB:
            return FULL_SERVER
        if player == LIVE:
            needed = LESSON_SERVER
    return needed
