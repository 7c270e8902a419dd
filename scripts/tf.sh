#!/usr/bin/env bash
# terraform with the provider mirror when this machine has one (scripts/tf-mirror.sh),
# else the registry as usual. Usage: scripts/tf.sh -chdir=terraform/environments/dev plan
set -euo pipefail
config=$("$(dirname "$0")/tf-mirror.sh")
if [[ -n "$config" ]]; then
  export TF_CLI_CONFIG_FILE=$config
fi
export CHECKPOINT_DISABLE=1
exec terraform "$@"
