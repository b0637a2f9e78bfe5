#!/usr/bin/env bash
# The example apps through the real daemon: each app's server bundle renders its expected/ cases
# byte for byte as Node did, and the Django project serves one page per framework, hydrated in
# Chromium under a strict CSP. Uses the ssrd built in build/ (override with SSRD_BIN) and
# Debian's python3 (python3-msgpack, python3-django, gunicorn: scripts/setup installs them).
# Ends with "examples: N passed, N failed, N skipped"; exits non-zero if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SSRD_BIN=${SSRD_BIN:-$root/build/bin/ssrd}
exec /usr/bin/python3 -u "$here/run_tests.py"
