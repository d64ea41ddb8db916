#!/usr/bin/env bash
# Install what is needed and start Atelier with its built-in LTI platform, on SQLite.
#
#   scripts/demo.sh            # then open http://127.0.0.1:8000/demo/
#   PORT=8001 scripts/demo.sh  # another port (HOST=... for another address)
#
# Starts the web server (gunicorn), a Celery worker with beat, registers the built-in
# platform with the tool by LTI Dynamic Registration (first run only) and prints the URL
# to open. Ctrl-C stops everything. Nothing but Python 3.11+ is needed: the database,
# cache and Celery broker are files under var/ (ATELIER_MODE unset = embedded).
set -euo pipefail

# shellcheck source=scripts/_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cd "$ROOT"

ensure_venv
install_project
compile_messages

say "Preparing the database (var/)"
manage migrate --no-input -v 0
manage createcachetable
# The tool's first RSA key (keys/, git-ignored); the JWKS endpoint would create it too.
if [ -z "$(manage lti_keys list)" ]; then
    manage lti_keys create
fi

exec "$PY" "$ROOT/scripts/run_demo.py"
