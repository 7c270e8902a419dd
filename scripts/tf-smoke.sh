#!/usr/bin/env bash
# Read-only smoke checks of a deployed environment, run after terraform apply (with
# the read-only GitHub plan role in CI). Needs the aws CLI and the environment's
# Terraform outputs. Usage: scripts/tf-smoke.sh <env> <artifact_version>
set -euo pipefail
cd "$(dirname "$0")/.."
env_name=${1:?environment}
version=${2:?artifact version}
out() { scripts/tf-output.sh "$env_name" "$1"; }
fail=0
check() {  # check <description> <command...>
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then echo "ok    $what"; else echo "FAIL  $what"; fail=1; fi
}

artifacts=$(out artifacts_s3_bucket_name)
check "python modules s3://$artifacts/carelake/$version/ exist" \
  aws s3api head-object --bucket "$artifacts" --key "carelake/$version/carelake-python-modules.zip"

for job in $(out glue_job_names | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).values()))'); do
  script=$(aws glue get-job --job-name "$job" --query 'Job.Command.ScriptLocation' --output text 2>/dev/null || true)
  check "Glue job $job runs version $version" test "${script%/glue/*}" = "s3://$artifacts/carelake/$version"
  check "script of $job exists" aws s3api head-object --bucket "$artifacts" --key "${script#s3://"$artifacts"/}"
done
check "Glue workflow $(out glue_workflow_name) exists" aws glue get-workflow --name "$(out glue_workflow_name)"

sfn=$(out sql_deploy_sfn_state_machine_arn)
status=$(aws stepfunctions list-executions --state-machine-arn "$sfn" --max-results 1 --query 'executions[0].status' --output text)
check "last SQL deployment succeeded ($status)" test "$status" = SUCCEEDED

for wg in $(out athena_workgroup_names | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).values()))'); do
  check "Athena workgroup $wg enforces its configuration" test \
    "$(aws athena get-work-group --work-group "$wg" --query 'WorkGroup.Configuration.EnforceWorkGroupConfiguration' --output text)" = True
done

# The intake API is served on its custom domain only: find the API through the domain.
domain=$(sed -E 's#https://([^/]+)/?.*#\1#' <<<"$(out intake_api_url)")
api_id=$(aws apigateway get-base-path-mappings --domain-name "$domain" --query 'items[0].restApiId' --output text 2>/dev/null || true)
check "intake API stage v1 exists behind $domain" aws apigateway get-stage --rest-api-id "$api_id" --stage-name v1
check "intake domain $domain requires TLS 1.2" test \
  "$(aws apigateway get-domain-name --domain-name "$domain" --query securityPolicy --output text 2>/dev/null)" = TLS_1_2
check "CloudTrail trail is logging" test \
  "$(aws cloudtrail get-trail-status --name "$(out cloudtrail_arn)" --query IsLogging --output text)" = True

exit $fail
