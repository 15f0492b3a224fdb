#!/usr/bin/env bash
# Sourced by scripts/test.sh (or run on its own: bash scripts/pango.sh). The PDF documents
# (rhizo.clinic.web.documents) are laid out by WeasyPrint, which needs Debian's Pango:
# libpango-1.0-0 and libpangoft2-1.0-0. Installs them with apt-get when missing (as root,
# or with passwordless sudo) and prints what it did; sets RHIZO_PANGO=1 when both load.
# Under CI=true a Pango that cannot be installed fails the run; elsewhere the PDF
# endpoints answer 503 with the reason and the tests that render PDFs fail with it.

RHIZO_PANGO=0
_RHIZO_PANGO_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0)

_rhizo_pango_fail() {
  echo "pango: $*" >&2
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "pango: PDF documents will answer 503 until Pango is installed (not CI)" >&2
  return 0
}

_rhizo_pango_libs() {
  # No pipes: under `set -o pipefail` a reader that stops early would fail the check.
  local ldconfig
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  "$ldconfig" -p 2>/dev/null || true
}

_rhizo_pango_present() {
  local libs
  libs=$(_rhizo_pango_libs)
  [[ $libs == *libpango-1.0.so.0* && $libs == *libpangoft2-1.0.so.0* ]]
}

_rhizo_pango_install() {
  if _rhizo_pango_present; then
    echo "pango: present (${_RHIZO_PANGO_PACKAGES[*]})"
  else
    local asroot=()
    if [ "$(id -u)" != "0" ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        asroot=(sudo -n)
      else
        _rhizo_pango_fail "Pango is not installed and this user cannot apt-get it"; return 0
      fi
    fi
    echo "pango: installing Debian's ${_RHIZO_PANGO_PACKAGES[*]}"
    ("${asroot[@]}" apt-get update -qq \
      && "${asroot[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${_RHIZO_PANGO_PACKAGES[@]}" >/dev/null) \
      || { _rhizo_pango_fail "apt-get install ${_RHIZO_PANGO_PACKAGES[*]} failed"; return 0; }
    _rhizo_pango_present || { _rhizo_pango_fail "installed, but ldconfig does not list Pango"; return 0; }
    echo "pango: installed"
  fi
  RHIZO_PANGO=1
}

_rhizo_pango_install
