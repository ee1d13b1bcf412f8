#!/usr/bin/env bash
# Checks the Python a venv is (or would be) built from, before `make setup` installs anything.
# Usage: check-python.sh PYTHON VENV
#   - an existing VENV is checked through its own interpreter (a venv keeps its base Python);
#   - otherwise PYTHON, the interpreter `python -m venv` would use.
# Fails (in Chinese, saying what to do) when the version cannot install requirements.txt;
# warns when other system users could not run it: production mode starts every learner's
# server as that learner's own system user, from this venv.
set -euo pipefail

python=${1:?用法：check-python.sh PYTHON VENV}
venv=${2:?用法：check-python.sh PYTHON VENV}
# Debian 12's python3.11 (3.11.2) is the oldest the pinned set installs on; requirements.txt
# stays installable there (e.g. soupsieve 3.0.2 and later need 3.11.5).
minimum="3.11.2"

if [ -x "$venv/bin/python" ]; then
  python="$venv/bin/python"
  rebuild="rm -rf $venv && make setup PYTHON=/usr/bin/python3.11"
else
  rebuild="make setup PYTHON=/usr/bin/python3.11"
fi
install="Debian 12 上请运行 apt-get install -y python3.11 python3.11-venv，然后 $rebuild"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "错误：找不到 Python（$python）。艺苑需要 Python 3.11（至少 $minimum）：$install" >&2
  exit 1
fi

# stdin, not -c: the check must also run (and answer) on an old Python
if ! "$python" - "$minimum" <<'EOF'
import sys

minimum = tuple(int(part) for part in sys.argv[1].split("."))
sys.exit(0 if sys.version_info[:2] == (3, 11) and sys.version_info[:3] >= minimum else 1)
EOF
then
  found=$("$python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo "?")
  echo "错误：$python 是 Python $found；艺苑需要 Python 3.11，且至少 $minimum。$install" >&2
  exit 1
fi

# Every folder on the way to the real interpreter must let other users through, and the
# interpreter must be executable by them (a pyenv under /root, mode 0700, is not).
closed=$("$python" - <<'EOF'
import os
import stat
import sys

for start in (sys.executable, os.path.realpath(sys.executable)):
    path = os.path.abspath(start)
    while True:
        mode = os.stat(path).st_mode
        if not mode & stat.S_IXOTH:
            print(path)
            raise SystemExit
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
EOF
)
if [ -n "$closed" ]; then
  warning="注意：其他系统用户无法执行 $python（$closed 不允许其他用户进入或执行）。"
  warning+="演示模式（make run）不受影响；生产模式（mode: production）下学员的学习环境无法启动，"
  echo "${warning}JupyterHub 会拒绝启动。用于生产时请运行：$rebuild" >&2
fi
