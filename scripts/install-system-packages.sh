#!/usr/bin/env bash
# Installs the Debian packages Yiyuan needs that this machine lacks; does nothing when all
# are present. Usage: install-system-packages.sh runtime|test
set -euo pipefail

# CJK fonts: lessons draw Chinese (Noto Sans/Serif CJK = 黑体/宋体, AR PL UKai = 楷体).
# bubblewrap: the grading sandbox (learners' code runs in its own namespaces, no network).
# Pango: WeasyPrint lays out the certificates (结业证书) with it.
runtime=(fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming bubblewrap libpango-1.0-0
  libpangoft2-1.0-0)
# Node.js may come from elsewhere than Debian (e.g. NodeSource): a working npm is enough.
command -v npm >/dev/null 2>&1 || runtime+=(nodejs npm)
# Debian's python3.11 makes venvs only with python3.11-venv (it brings ensurepip).
python3.11 -c "import ensurepip" >/dev/null 2>&1 || runtime+=(python3.11-venv)
# Debian's own python3.11: the production-mode tests build the venv the docs install from it.
# poppler-utils: the certificate tests render the PDFs to PNG (pdftoppm) and read their text.
test_only=(postgresql chromium chromium-driver python3.11 python3.11-venv poppler-utils)

case "${1:-runtime}" in
  runtime) wanted=("${runtime[@]+"${runtime[@]}"}") ;;
  test) wanted=("${runtime[@]+"${runtime[@]}"}" "${test_only[@]}") ;;
  *) echo "用法：$0 runtime|test" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]+"${wanted[@]}"}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "缺少系统软件包：${missing[*]}。请以 root 身份运行：apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "安装系统软件包：${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# matplotlib caches the font list: make it see the CJK fonts just installed.
rm -rf "${HOME:-/root}/.cache/matplotlib"
