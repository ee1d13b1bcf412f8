#!/usr/bin/env bash
# Starts the machine's PostgreSQL cluster for the test suite and makes sure the current
# system user has a superuser role (peer login over the Unix socket, no password).
set -euo pipefail

read -r version name _port status _ < <(pg_lsclusters --no-header | head -n 1) || {
  echo "没有 PostgreSQL 集群：请安装 postgresql 软件包（scripts/install-system-packages.sh test）。" >&2
  exit 1
}
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$name" start
fi
me=$(id -un)
if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='$me'\"" | grep -q 1; then
  su postgres -c "createuser --superuser $me"
fi
