"""The login throttling policy, as pure functions of a counter and the clock (no database).

It follows OWASP's Authentication Cheat Sheet ("Protect Against Automated Attacks", "Account
Lockout") and its device-cookie note: failures are counted per account and per client
address, a counter is forgotten after a quiet observation window, and the block after the
threshold doubles with each further failure up to a cap, so a guesser is slowed to a few
tries an hour while nobody is locked out for long. Clients that have logged in to the
account before (known clients) are counted on their own, so a stranger's failures never keep
the owner out (see login.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import ThrottleKind
from ..settings import AuthSettings

#: beyond this the doubling has long reached any sensible cap (and 2**n stays small)
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class ThrottlePolicy:
    #: failures against one account (or unknown name) from unknown clients, and from one
    #: known client, before it is blocked
    max_failures: int = 5
    #: failures from one client address (on any name) before the address is blocked
    address_max_failures: int = 50
    #: the first block; each further failure doubles it
    lockout_minutes: int = 10
    #: the longest block
    max_lockout_minutes: int = 60
    #: a counter with no failure for this long starts again from zero
    window_minutes: int = 1440
    #: a known client that has not logged in for this long is a stranger again
    known_client_days: int = 180

    def threshold(self, kind: ThrottleKind) -> int:
        return self.address_max_failures if kind is ThrottleKind.address else self.max_failures


@dataclass(frozen=True)
class Counter:
    """One counter's state: failures in the current window, the last one, the block."""

    failures: int = 0
    last_failure_at: datetime | None = None
    blocked_until: datetime | None = None


def is_blocked(counter: Counter, now: datetime) -> bool:
    return counter.blocked_until is not None and counter.blocked_until > now


def block_length(failures: int, threshold: int, policy: ThrottlePolicy) -> timedelta:
    """How long ``failures`` failures block: nothing below the threshold, then the first
    block, doubled with each failure beyond it, never longer than the cap."""
    if failures < max(1, threshold):
        return timedelta(0)
    doublings = min(failures - threshold, _MAX_DOUBLINGS)
    cap = max(policy.max_lockout_minutes, policy.lockout_minutes)
    return timedelta(minutes=min(policy.lockout_minutes * 2**doublings, cap))


def current_failures(counter: Counter, policy: ThrottlePolicy, now: datetime) -> int:
    """The failures still counting: none once the window has passed without one."""
    if counter.last_failure_at is None:
        return 0
    if now - counter.last_failure_at >= timedelta(minutes=policy.window_minutes):
        return 0
    return counter.failures


def after_failure(
    counter: Counter, kind: ThrottleKind, policy: ThrottlePolicy, now: datetime
) -> Counter:
    """The counter once one more failure has been counted at ``now``."""
    failures = current_failures(counter, policy, now) + 1
    length = block_length(failures, policy.threshold(kind), policy)
    return Counter(failures, now, now + length if length else None)


def policy_of(auth: AuthSettings) -> ThrottlePolicy:
    """The policy the ``auth`` settings describe: the CLI and the service pass the settings,
    the hub's authenticator passes itself (its traits have the same names)."""
    return ThrottlePolicy(
        max_failures=auth.max_failed_logins,
        address_max_failures=auth.address_max_failures,
        lockout_minutes=auth.lockout_minutes,
        max_lockout_minutes=auth.max_lockout_minutes,
        window_minutes=auth.failure_window_minutes,
        known_client_days=auth.known_client_days,
    )
