#!/usr/bin/env bash
# Resolve jobs/requirements/<name>.in into <name>.lock with pip-tools (pip-compile from
# .venv-tools): every transitive pin, each with the sha256 of every distribution file
# of that version, so `pip install --require-hashes -r <name>.lock` refuses anything else.
# Pins already in the lock are kept unless the .in asks for another version; to move
# one, change it in the .in (or pass --upgrade-package NAME as extra arguments).
#   scripts/lock.sh dev|tools|glue [pip-compile options]
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/lock.sh dev|tools|glue [pip-compile options]}
shift
# The machine's pip configuration may add indexes or find-links; they are not written
# into the lock (--no-emit-*), which must hold only names, versions and hashes.
.venv-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --resolver=backtracking \
  --output-file "jobs/requirements/$name.lock" "$@" "jobs/requirements/$name.in"
echo "wrote jobs/requirements/$name.lock"
