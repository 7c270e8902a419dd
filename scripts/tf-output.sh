#!/usr/bin/env bash
# Print one output of the platform module from an environment's state: strings raw,
# everything else as JSON. The roots have one output, `platform`, holding them all.
# Usage: scripts/tf-output.sh <env> <name>   e.g. scripts/tf-output.sh dev artifacts_s3_bucket_name
set -euo pipefail
cd "$(dirname "$0")/.."
env_name=${1:?environment}
name=${2:?output name}
scripts/tf.sh -chdir="terraform/environments/$env_name" output -json platform | python3 -c '
import json, sys
name = sys.argv[1]
outputs = json.load(sys.stdin)
if name not in outputs:
    sys.exit(f"the platform module has no output {name!r}; it has: {\", \".join(sorted(outputs))}")
value = outputs[name]
print(value if isinstance(value, str) else json.dumps(value))
' "$name"
