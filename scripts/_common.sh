# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).
#
# Everything the two commands need is installed here, from PyPI into .venv and, when
# missing and we are root, from Debian's packages: nothing installed by hand is assumed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ATELIER_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33m!!  %s\033[0m\n' "$*" >&2; }
die() {
    printf '\033[31mxx  %s\033[0m\n' "$*" >&2
    exit 1
}

is_root() { [ "$(id -u)" = "0" ]; }

# A Python >= 3.11 to create the venv with: $PYTHON, else the first that fits.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

APT_UPDATED=0
apt_install() {
    # Debian packages, as root only; `apt-get update` once per run.
    if ! is_root; then
        return 1
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"
        apt-get update -qq || return 1
        APT_UPDATED=1
    fi
    say "apt-get install $*"
    apt-get install -y -qq "$@" >/dev/null || return 1
}

ensure_venv() {
    if [ ! -x "$PY" ]; then
        local python
        python="$(find_python)" || die "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)."
        say "Creating $VENV with $("$python" --version)"
        if ! "$python" -m venv "$VENV" 2>/dev/null; then
            # Debian's python3 ships venv separately.
            rm -rf "$VENV"
            apt_install python3-venv || die "'$python -m venv' failed: install python3-venv."
            "$python" -m venv "$VENV"
        fi
    fi
}

# pip install -e .[dev] when the venv is new or pyproject.toml changed since last time.
install_project() {
    local stamp="$VENV/.atelier-installed" wanted
    wanted="$("$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' <"$ROOT/pyproject.toml")"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
        return 0
    fi
    say "Installing Atelier and its development tools into $VENV (pip)"
    "$PY" -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23.1"
    "$PY" -m pip install --quiet --disable-pip-version-check -e "$ROOT[dev]"
    echo "$wanted" >"$stamp"
}

manage() { "$PY" "$ROOT/manage.py" "$@"; }

# Compile the French/English catalogues when the project has any (.mo files are not
# committed). gettext's msgfmt comes from Debian.
compile_messages() {
    if [ -z "$(find "$ROOT/lti_tool" "$ROOT/config" -name '*.po' -print -quit 2>/dev/null)" ]; then
        return 0
    fi
    if ! command -v msgfmt >/dev/null 2>&1; then
        apt_install gettext || {
            warn "gettext (msgfmt) is missing and cannot be installed (not root): translations are not compiled."
            return 0
        }
    fi
    say "Compiling translations"
    (cd "$ROOT" && manage compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v 0)
}

# Tiny TCP probe: is something listening on host:port?
port_open() {
    "$PY" - "$1" "$2" <<'EOF'
import socket
import sys

try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
EOF
}
