"""One login attempt: the same answer, and the same work, whether the name is unknown, the
password wrong, or the account blocked; throttled without letting a stranger lock anyone out.

Every attempt verifies exactly one argon2 hash (a dummy one for unknown names) before
anything is decided, so the three cases take the same time. The counters it touches:

- from a client that has not logged in to the account before: the account's counter (or,
  for a name with no account, that name's counter, which behaves identically) and the
  client address's counter;
- from a known client (device cookie, clients.py): that client's own counter only, so the
  owner's browser still gets in while strangers are blocked.

A refused attempt is never checked against the password's result and counts no failure;
the policy (thresholds, doubling blocks) is throttle.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..models import Account, LoginThrottle, ThrottleKind, utcnow
from . import clients, lockouts
from .passwords import hash_password, needs_rehash, verify_password
from .service import find_login_account
from .throttle import ThrottlePolicy, is_blocked


@dataclass(frozen=True)
class Client:
    """Who is knocking, as the hub sees it."""

    #: the client address (``request.remote_ip`` behind the hub's proxy)
    address: str = ""
    #: the device cookie's token, "" when the browser has none
    device: str = ""


@dataclass
class LoginOutcome:
    """The answer to one login attempt. ``key``/``params`` name the catalogue message."""

    ok: bool
    key: str = ""
    params: dict = field(default_factory=dict)
    must_change_password: bool = False
    #: the account that logged in (when ``ok``)
    account: Account | None = None
    #: the device cookie to (re)set after a successful login
    device: str = ""
    #: the counters that refused this attempt unchecked (kinds), for logs and tests
    refused_by: tuple[ThrottleKind, ...] = ()
    #: the counters this failure blocked: (kind, until)
    blocked: tuple[tuple[ThrottleKind, datetime], ...] = ()


#: the answer to every failure, whatever its cause (never "locked", never "no such user")
FAILED = "login_failed"
#: the same, once any counter of this attempt blocks (as it would for a name with no account)
THROTTLED = "login_throttled"


def attempt(
    session: Session,
    entered: str,
    password: str,
    client: Client,
    policy: ThrottlePolicy,
    now: datetime | None = None,
) -> LoginOutcome:
    """Check ``password`` for the account ``entered`` names (user name or mobile number)."""
    now = now or utcnow()
    account = find_login_account(session, entered)
    device = clients.usable_token(client.device)
    known = account is not None and clients.is_known(
        session, account.id, device, policy.known_client_days, now
    )
    # always exactly one verification, before anything is decided: equal time for all cases
    password_ok = verify_password(account.password_hash if account else "", password)

    rows = lockouts.hold(session, _keys(account, entered, client, device, known))
    blocking = [row for row in rows if is_blocked(lockouts.counter(row), now)]
    if blocking:
        lockouts.refuse(blocking)
        return LoginOutcome(ok=False, key=THROTTLED, refused_by=tuple(r.kind for r in blocking))
    if not password_ok:
        blocked = lockouts.fail(session, rows, policy, now, client.address, account)
        return LoginOutcome(
            ok=False,
            key=THROTTLED if blocked else FAILED,
            blocked=tuple((row.kind, row.blocked_until) for row in blocked),
        )
    assert account is not None  # a dummy hash never verifies
    if not account.active:
        # told only to someone who knows the password
        return LoginOutcome(ok=False, key="account_inactive")
    # a browser without a device cookie gets one now: from the next login on it is known
    device = device or clients.new_token()
    _succeed(session, account, password, rows, client, device, policy, now)
    return LoginOutcome(
        ok=True, must_change_password=account.must_change_password, account=account, device=device
    )


def _keys(
    account: Account | None, entered: str, client: Client, device: str, known: bool
) -> list[lockouts.Key]:
    if known:
        assert account is not None
        return [lockouts.client_key(account.id, clients.token_hash(device))]
    own = lockouts.account_key(account.id) if account else lockouts.name_key(entered)
    return [own, lockouts.address_key(client.address)]


def _succeed(
    session: Session,
    account: Account,
    password: str,
    rows: list[LoginThrottle],
    client: Client,
    device: str,
    policy: ThrottlePolicy,
    now: datetime,
) -> None:
    # the account's (or this client's) failures are forgotten; an address's are not, or a
    # guesser could clear theirs by logging in to an account of their own now and then
    for row in rows:
        if row.kind is not ThrottleKind.address:
            lockouts.reset(session, row)
    lockouts.forget_stale(session, policy, now)
    clients.remember(session, account.id, device, client.address, now)
    account.last_login_at = now
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
