#!/usr/bin/env bash
# The Python client's tests, the Django example under gunicorn and the Chromium browser test,
# against the ssrd built in build/ (override with SSRD_BIN). Uses Debian's python3, which has
# python3-msgpack, python3-django and gunicorn (scripts/setup installs them).
# Ends with "python: N passed, N failed, N skipped"; exits non-zero if any failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export SSRD_BIN=${SSRD_BIN:-$root/build/bin/ssrd}
cd "$here"
exec /usr/bin/python3 -u run_tests.py
