#!/usr/bin/env bash
# Install what is needed and run every check: ruff (lint + format), mypy, pytest.
#
#   scripts/test.sh                 # everything
#   scripts/test.sh tests/lti -x    # extra arguments go to pytest
#
# Services: when PostgreSQL answers on 127.0.0.1:5432 the suite runs on it (database
# "test", user postgres), with Redis (127.0.0.1:6379) as cache and RabbitMQ
# (127.0.0.1:5672) as Celery broker when they answer; otherwise on SQLite and files.
# Set ATELIER_TEST_SERVICES=0 to force the embedded setup, or set DATABASE_URL,
# REDIS_URL, CELERY_BROKER_URL yourself to choose.
#
# The browser test drives Debian's chromium (/usr/bin/chromium), installed with apt when
# missing and we are root; otherwise it is skipped with a message (but never on CI).
set -euo pipefail

# shellcheck source=scripts/_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$ROOT"

ensure_venv
install_project

if [ ! -x /usr/bin/chromium ]; then
    if ! apt_install chromium; then
        if [ "${CI:-}" = "true" ]; then
            die "chromium is missing and could not be installed: the browser test cannot run."
        fi
        warn "chromium is missing and cannot be installed here (run as root: apt-get install chromium): the browser test will be skipped."
    fi
fi
compile_messages

# --- services ------------------------------------------------------------------------
if [ "${ATELIER_TEST_SERVICES:-1}" != "0" ]; then
    if [ -z "${DATABASE_URL:-}" ] && port_open 127.0.0.1 5432; then
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test"
    fi
    if [ -z "${REDIS_URL:-}" ] && port_open 127.0.0.1 6379; then
        export REDIS_URL="redis://127.0.0.1:6379/0"
    fi
    if [ -z "${CELERY_BROKER_URL:-}" ] && port_open 127.0.0.1 5672; then
        export CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//"
    fi
fi
# Keys written by the tests stay out of the working copy's keys/; the cache keys of this
# run cannot collide with a demo or a benchmark sharing the same Redis.
keys_tmp=""
if [ -z "${LTI_KEYS_DIR:-}" ]; then
    keys_tmp="$(mktemp -d "${TMPDIR:-/tmp}/atelier-test-keys.XXXXXX")"
    export LTI_KEYS_DIR="$keys_tmp"
fi
export CACHE_KEY_PREFIX="${CACHE_KEY_PREFIX:-atelier-test-$$}"
say "Database: ${DATABASE_URL:-SQLite (var/)}; cache: ${REDIS_URL:-database table}; broker: ${CELERY_BROKER_URL:-${REDIS_URL:-filesystem (var/)}}"

# --- checks --------------------------------------------------------------------------
failed=()
run_step() {
    local name="$1"
    shift
    say "$name"
    if "$@"; then
        return 0
    else
        local code=$?
        failed+=("$name (exit $code)")
        return 0
    fi
}

run_step "ruff check" "$VENV/bin/ruff" check .
run_step "ruff format --check" "$VENV/bin/ruff" format --check .
run_step "mypy lti_tool config" "$VENV/bin/mypy" lti_tool config
# pytest's exit code 5 means it collected no test: that is a failure too.
run_step "pytest" "$PY" -m pytest "$@"

[ -z "$keys_tmp" ] || rm -rf "$keys_tmp"
if [ "${#failed[@]}" -gt 0 ]; then
    printf '\033[31mxx  failed: %s\033[0m\n' "${failed[@]}" >&2
    exit 1
fi
say "All checks passed."
