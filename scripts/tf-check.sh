#!/usr/bin/env bash
# Offline checks of the Terraform code, run by make (tf-validate, tf-test) and CI.
#   scripts/tf-check.sh fmt        terraform fmt -check over terraform/
#   scripts/tf-check.sh validate   init -backend=false + validate, every module and root
#   scripts/tf-check.sh test       terraform test in every directory that has tests/*.tftest.hcl
# Providers come from the filesystem mirror when scripts/tf-mirror.sh finds one.
# TF_JOBS (default 2) directories are checked at a time; each has its own .terraform.
set -euo pipefail
cd "$(dirname "$0")/.."

config=$(scripts/tf-mirror.sh)
if [[ -n "$config" ]]; then
  export TF_CLI_CONFIG_FILE=$config
fi
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
jobs=${TF_JOBS:-2}

dirs() {
  case $1 in
    validate) ls -d terraform/modules/*/ terraform/environments/*/ ;;
    test) for d in terraform/modules/*/ terraform/environments/*/; do
            if compgen -G "$d/tests/*.tftest.hcl" >/dev/null; then echo "$d"; fi
          done ;;
  esac
}

check_one() {  # $1 = validate|test, $2 = directory; prints one line, full output on failure
  local what=$1 dir=${2%/} log start
  log=$(mktemp)
  start=$SECONDS
  if terraform -chdir="$dir" init -backend=false -input=false -no-color >"$log" 2>&1 \
    && { if [[ $what == validate ]]; then terraform -chdir="$dir" validate -no-color; else terraform -chdir="$dir" test -no-color; fi; } >>"$log" 2>&1; then
    printf 'ok    %-40s %3ss\n' "$dir" $((SECONDS - start))
    rm -f "$log"
  else
    printf 'FAIL  %-40s %3ss\n' "$dir" $((SECONDS - start))
    sed 's/^/      /' "$log"
    rm -f "$log"
    return 1
  fi
}
export -f check_one

case ${1:-} in
  fmt)
    terraform fmt -check -recursive -diff terraform
    echo "terraform fmt: ok"
    ;;
  validate|test)
    # shellcheck disable=SC2016 # $0 and $1 are the inner bash's arguments
    dirs "$1" | xargs -P "$jobs" -I{} bash -c 'check_one "$0" "$1"' "$1" {}
    ;;
  *)
    echo "usage: $0 fmt|validate|test" >&2
    exit 2
    ;;
esac
