#!/usr/bin/env bash
# Set up a development/demo environment on a fresh Debian machine: system packages (WeasyPrint's
# libraries and fonts; with --test also the browser, PDF tools and docker-compose), a Python 3.12+
# virtual environment in .venv, and the project's dependencies. Safe to run again: it only
# installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

RUNTIME_PKGS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-noto-core)
TEST_PKGS=(chromium chromium-driver chromium-l10n poppler-utils docker-compose)

say() { printf '==> %s\n' "$*"; }

install_system_packages() {
  local wanted=("${RUNTIME_PKGS[@]}")
  [ "$WITH_TEST" = 1 ] && wanted+=("${TEST_PKGS[@]}")
  command -v dpkg >/dev/null 2>&1 || { say "not a Debian system: install ${wanted[*]} yourself"; return; }
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing system packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "Run as root or install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  # Django 6 needs Python 3.12 or newer.
  local candidates=(python3.13 python3.12 python3)
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin /usr/local/bin /usr/bin; do
    [ -d "$dir" ] && candidates+=("$dir/python3")
  done
  for py in "${candidates[@]}"; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      command -v "$py"
      return
    fi
  done
  echo "Python 3.12 or newer is required (Django 6). Install python3.12 and run again." >&2
  exit 1
}

install_system_packages

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  PY=$(find_python)
  say "creating .venv with $PY ($("$PY" --version))"
  rm -rf .venv
  "$PY" -m venv .venv
fi

extras="test"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$extras"
if [ ! -f "$stamp" ]; then
  say "installing Python dependencies"
  # pip's output goes to a log (some machines' pip configuration warns once per package); it is
  # shown only when the install fails.
  for args in "--upgrade pip" "-e .[$extras]"; do
    # shellcheck disable=SC2086
    if ! .venv/bin/python -m pip install -q $args > .venv/pip.log 2>&1; then
      grep -v "^WARNING: Location" .venv/pip.log >&2
      echo "pip install $args failed (full log: .venv/pip.log)" >&2
      exit 1
    fi
  done
  rm -f .venv/.installed-*
  touch "$stamp"
fi
say "environment ready"
