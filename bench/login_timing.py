"""How long a refused login takes, as an attacker measures it: unknown name, wrong password
on a real account, and a blocked account (even with the right password), through a real hub
(tests/hubtest.py) on SQLite. The three medians should be close: the answer's time must not
tell whether an account exists or is blocked (issue 16 had ≈6 ms vs ≈320 ms).

    .venv/bin/python bench/login_timing.py [--samples 30] [--record]

Each wrong-password sample uses its own account (so none gets blocked while being measured)
and each unknown-name sample a new name; the address limit is raised so that the hub's one
test address is never what answers. Prints the medians; ``--record`` appends them, the date
and the command to bench/RESULTS.md. Loads a core for about a minute: not for CI.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hubtest import Hub  # noqa: E402  (the test suite's real-hub harness)

PASSWORD = "Mima-2026"


def timed_login(hub: Hub, username: str, password: str) -> float:
    browser = hub.browser()
    browser.get("/hub/login")  # the form and its XSRF cookie, outside the timing
    start = time.perf_counter()
    response = browser.post_form("/hub/login", {"username": username, "password": password})
    elapsed = time.perf_counter() - start
    assert response.status_code == 403, (username, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    n = args.samples

    with tempfile.TemporaryDirectory() as tmp:
        hub = Hub(Path(tmp) / "hub", {"auth": {"address_max_failures": 100_000}})
        hub.cli("db", "upgrade")
        names = [f"cuowu{i:03d}" for i in range(n)] + ["suoding"]
        for name in names:
            hub.cli("users", "create", name, "--name", name, "--password-stdin", stdin=PASSWORD)
        hub.start()
        try:
            for _ in range(5):  # block "suoding" for strangers
                timed_login(hub, "suoding", "guess")
            timed_login(hub, "cuowu000", "warm-up")  # first argon2 and DB connection
            cases = {"unknown": [], "wrong": [], "blocked": []}
            for i in range(n):  # interleaved, so load on the machine hits all three alike
                cases["unknown"].append(timed_login(hub, f"meiyou{i:03d}", "guess"))
                cases["wrong"].append(timed_login(hub, f"cuowu{i:03d}", "guess"))
                cases["blocked"].append(timed_login(hub, "suoding", PASSWORD))
        finally:
            hub.stop()

    medians = {case: statistics.median(times) * 1000 for case, times in cases.items()}
    lines = [
        "| case | median (ms) | min (ms) | max (ms) |",
        "|---|---|---|---|",
        *(
            f"| {case} | {medians[case]:.0f} | {min(t) * 1000:.0f} | {max(t) * 1000:.0f} |"
            for case, t in cases.items()
        ),
    ]
    spread = max(medians.values()) / min(medians.values())
    print("\n".join(lines))
    print(f"largest / smallest median: {spread:.2f}")
    if args.record:
        command = "python bench/login_timing.py " + " ".join(sys.argv[1:])
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as out:
            out.write(
                f"\n## Login timing ({datetime.date.today()}, `{command.strip()}`)\n\n"
                f"Refused logins through a real hub (SQLite, {n} samples each, interleaved): "
                "an unknown name, a wrong password on a real account, and the right password "
                "on an account blocked for strangers.\n\n"
                + "\n".join(lines)
                + f"\n\nLargest / smallest median: {spread:.2f}.\n"
            )


if __name__ == "__main__":
    main()
