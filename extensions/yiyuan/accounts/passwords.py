"""Password hashing (argon2id) and the strength rules a new password must meet."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id with OWASP's first recommended profile (Password Storage Cheat Sheet: 19 MiB,
# 2 passes, 1 lane): ≈30 ms of one core per login. argon2-cffi's default (RFC 9106's second
# profile, 64 MiB × 3 passes × 4 lanes) costs ≈185 ms of CPU, which capped a 2-core server at
# ≈10 logins a second before anything else ran, and a deadline brings hundreds in a minute
# (bench/load.py). Hashes of the older profile are redone at the next login (needs_rehash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Generated initial passwords carry ~69 bits of randomness, so guessing them is hopeless
# however fast the hash; a light argon2id profile lets a 20,000-member roster import in
# seconds instead of hours. The first login (which must change the password) rehashes with
# the full profile anyway (see needs_rehash).
_INITIAL_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
INITIAL_PASSWORD_LENGTH = 12
# Verified when the username is unknown, so that a miss costs as long as a hit.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def hash_initial_password(password: str) -> str:
    """For passwords made by :func:`generate_initial_password` only."""
    return _INITIAL_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    text = files(__package__).joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


@dataclass(frozen=True)
class Problem:
    """A rule a password breaks: a catalogue key and its parameters."""

    key: str
    params: dict


def password_problems(password: str, username: str, min_length: int) -> list[Problem]:
    """Every strength rule ``password`` breaks, in the order a person should fix them."""
    problems = []
    if len(password) < min_length:
        problems.append(Problem("password_too_short", {"min_length": min_length}))
    classes = sum(
        [
            any(ch.isalpha() for ch in password),
            any(ch.isdigit() for ch in password),
            any(not ch.isalnum() for ch in password),
        ]
    )
    if classes < 2:
        problems.append(Problem("password_too_simple", {}))
    if username and username.lower() in password.lower():
        problems.append(Problem("password_same_as_username", {}))
    if password.lower() in _common_passwords():
        problems.append(Problem("password_common", {}))
    return problems


def generate_initial_password(length: int = INITIAL_PASSWORD_LENGTH) -> str:
    """A random password that meets the rules and is easy to read out (no 0/O, 1/l/I)."""
    letters = "".join(ch for ch in string.ascii_letters if ch not in "OlI")
    digits = "23456789"
    while True:
        password = "".join(secrets.choice(letters + digits) for _ in range(length))
        if any(c in digits for c in password) and any(c in letters for c in password):
            return password
