#!/usr/bin/env bash
# Sourced by scripts/test.sh. The browser tests (tests/e2e, Playwright) drive
# Debian's Chromium at /usr/bin/chromium; `playwright install` is never run.
# Installs the Debian package `chromium` when it is missing (as root, or with
# passwordless sudo) and sets RHIZO_CHROMIUM=1 when the browser runs. Under
# CI=true a browser that cannot be installed fails the run; elsewhere the
# browser tests are skipped with a message.

RHIZO_CHROMIUM=0

_rhizo_chromium_fail() {
  echo "chromium: $*" >&2
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "chromium: the browser tests (tests/e2e) will be skipped (not CI)" >&2
  return 0
}

_rhizo_chromium_install() {
  if [ ! -x /usr/bin/chromium ]; then
    local asroot=()
    if [ "$(id -u)" != "0" ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        asroot=(sudo -n)
      else
        _rhizo_chromium_fail "chromium is not installed and this user cannot apt-get it"; return 0
      fi
    fi
    echo "chromium: installing Debian's chromium"
    ("${asroot[@]}" apt-get update -qq \
      && "${asroot[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
      || { _rhizo_chromium_fail "apt-get install chromium failed"; return 0; }
  fi
  local version
  # Debian's wrapper script prints a harmless shell warning on stderr.
  version=$(/usr/bin/chromium --version 2>/dev/null) \
    || { _rhizo_chromium_fail "/usr/bin/chromium --version failed"; return 0; }
  RHIZO_CHROMIUM=1
  echo "chromium: ready ($version)"
}

_rhizo_chromium_install
