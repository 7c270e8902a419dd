mock_provider "aws" {}

variables {
  context = {
    project                  = "carelake"
    environment              = "dev"
    name_prefix              = "carelake-dev"
    account_id               = "111122223333"
    region                   = "us-east-1"
    partition                = "aws"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/carelake-dev-workload-boundary"
  }
  manifest_path         = "tests/fixtures/manifest.yaml"
  artifacts_bucket_name = "carelake-dev-artifacts-111122223333"
  artifact_version      = "1.2.3"
  zone_bucket_names = {
    raw        = "carelake-dev-raw-111122223333"
    bronze     = "carelake-dev-bronze-111122223333"
    silver     = "carelake-dev-silver-111122223333"
    gold       = "carelake-dev-gold-111122223333"
    quarantine = "carelake-dev-quarantine-111122223333"
  }
  temp_bucket_name                = "carelake-dev-athena-results-111122223333"
  extra_job_arguments             = { partner_id = "all" }
  phi_kms_key_arn                 = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  logs_kms_key_arn                = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  subnet_ids_by_availability_zone = { "us-east-1a" = "subnet-0a", "us-east-1b" = "subnet-0b" }
  security_group_ids              = ["sg-0a"]
  failure_notifier = {
    function_arn  = "arn:aws:lambda:us-east-1:111122223333:function:carelake-dev-failure-notifier"
    function_name = "carelake-dev-failure-notifier"
  }
  alarm_topic_arn = "arn:aws:sns:us-east-1:111122223333:carelake-dev-pipeline-failures"
}

run "jobs_from_manifest" {
  command = plan

  assert {
    condition     = toset(keys(aws_glue_job.this)) == toset(["raw_to_bronze", "claims_to_bronze", "bronze_to_silver"])
    error_message = "There must be one Glue job per manifest job."
  }

  assert {
    condition     = aws_glue_job.this["raw_to_bronze"].name == "carelake-dev-raw_to_bronze" && aws_glue_job.this["raw_to_bronze"].glue_version == "5.0"
    error_message = "Jobs must be named <name_prefix>-<job> and run Glue 5.0."
  }

  assert {
    condition     = one(aws_glue_job.this["bronze_to_silver"].command).script_location == "s3://carelake-dev-artifacts-111122223333/carelake/1.2.3/glue/bronze_to_silver.py"
    error_message = "Scripts must come from the artifacts bucket by version."
  }

  assert {
    condition     = aws_glue_job.this["raw_to_bronze"].default_arguments["--additional-python-modules"] == "s3://carelake-dev-artifacts-111122223333/carelake/1.2.3/carelake-python-modules.zip" && aws_glue_job.this["raw_to_bronze"].default_arguments["--python-modules-installer-option"] == "--no-index"
    error_message = "The carelake Python modules (zip of wheels) must come from the artifacts bucket by version, installed without an index."
  }

  assert {
    condition     = alltrue([for j in aws_glue_job.this : j.default_arguments["--job-bookmark-option"] == "job-bookmark-disable" && j.security_configuration == "carelake-dev-glue"])
    error_message = "Every job must read by the ledger (bookmarks off) and use the KMS security configuration."
  }

  assert {
    condition = (
      aws_glue_job.this["raw_to_bronze"].default_arguments["--raw_uri"] == "s3://carelake-dev-raw-111122223333/"
      && aws_glue_job.this["raw_to_bronze"].default_arguments["--dt"] == "today"
      && aws_glue_job.this["claims_to_bronze"].default_arguments["--partner_id"] == "all"
      && aws_glue_job.this["raw_to_bronze"].default_arguments["--catalog_database_prefix"] == "carelake_dev"
      && !contains(keys(aws_glue_job.this["raw_to_bronze"].default_arguments), "--silver_uri")
    )
    error_message = "Each job gets exactly its manifest arguments: zone URIs, dt=today and extra values."
  }

  assert {
    condition     = aws_glue_job.this["bronze_to_silver"].worker_type == "G.2X" && aws_glue_job.this["bronze_to_silver"].number_of_workers == 4 && aws_glue_job.this["bronze_to_silver"].timeout == 120
    error_message = "Sizing must come from the manifest's glue block."
  }

  assert {
    condition     = length(aws_glue_job.this["raw_to_bronze"].connections) == 2
    error_message = "Jobs must run in the VPC through the NETWORK connections."
  }
}

run "security_configuration_encrypts_everything" {
  command = plan

  assert {
    condition     = one(one(aws_glue_security_configuration.this.encryption_configuration).s3_encryption).s3_encryption_mode == "SSE-KMS" && one(one(aws_glue_security_configuration.this.encryption_configuration).s3_encryption).kms_key_arn == var.phi_kms_key_arn
    error_message = "S3 output must be SSE-KMS with the PHI key."
  }

  assert {
    condition     = one(one(aws_glue_security_configuration.this.encryption_configuration).cloudwatch_encryption).cloudwatch_encryption_mode == "SSE-KMS"
    error_message = "CloudWatch logs must be KMS-encrypted."
  }

  assert {
    condition     = one(one(aws_glue_security_configuration.this.encryption_configuration).job_bookmarks_encryption).job_bookmarks_encryption_mode == "CSE-KMS"
    error_message = "Bookmarks must be KMS-encrypted."
  }
}

run "workflow_and_triggers" {
  command = plan

  assert {
    condition     = aws_glue_workflow.this.name == "carelake-dev-daily"
    error_message = "The workflow must be <name_prefix>-<workflow name without the project>."
  }

  assert {
    condition     = aws_glue_trigger.start.type == "SCHEDULED" && aws_glue_trigger.start.schedule == "cron(0 6 * * ? *)"
    error_message = "The start trigger must run on the manifest's schedule."
  }

  assert {
    condition     = toset([for a in aws_glue_trigger.start.actions : a.job_name]) == toset(["carelake-dev-raw_to_bronze", "carelake-dev-claims_to_bronze"])
    error_message = "The start trigger must start exactly the jobs without dependencies."
  }

  assert {
    condition     = keys(aws_glue_trigger.after_dependencies) == ["bronze_to_silver"]
    error_message = "Every job with dependencies needs a conditional trigger."
  }

  assert {
    condition = (
      one(aws_glue_trigger.after_dependencies["bronze_to_silver"].predicate).logical == "AND"
      && [for c in one(aws_glue_trigger.after_dependencies["bronze_to_silver"].predicate).conditions : "${c.job_name}:${c.state}"] == ["carelake-dev-claims_to_bronze:SUCCEEDED", "carelake-dev-raw_to_bronze:SUCCEEDED"]
    )
    error_message = "A conditional trigger must wait for all dependencies to succeed."
  }
}

run "least_privilege_and_failure_routing" {
  command = plan

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : !anytrue([for a in flatten([s.Action]) : a == "*" || a == "s3:*" || endswith(a, ":*")])
    ])
    error_message = "The jobs role must not allow wildcard actions."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      !(contains(flatten([s.Resource]), "arn:aws:s3:::carelake-dev-raw-111122223333/*") && anytrue([for a in flatten([s.Action]) : contains(["s3:PutObject", "s3:DeleteObject"], a)]))
    ])
    error_message = "Jobs must not write or delete in raw (raw is immutable)."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.state == ["FAILED", "TIMEOUT", "ERROR"]
    error_message = "The failure rule must match FAILED, TIMEOUT and ERROR."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this.arn == var.failure_notifier.function_arn
    error_message = "Failures must go to the failure notifier."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.job_slow["raw_to_bronze"].threshold == 2880000
    error_message = "The near-timeout alarm must fire at 80% of the timeout (ms)."
  }
}

run "manifest_default_arguments_apply_and_extra_arguments_win" {
  command = plan

  variables {
    extra_job_arguments = { partner_id = "all", lookback_days = "7" }
  }

  assert {
    condition = (
      aws_glue_job.this["bronze_to_silver"].default_arguments["--risk_threshold"] == "10"
      && aws_glue_job.this["bronze_to_silver"].default_arguments["--lookback_days"] == "7"
      && !contains(keys(aws_glue_job.this["raw_to_bronze"].default_arguments), "--risk_threshold")
    )
    error_message = "A job's manifest default_arguments must give values to its arguments, and extra_job_arguments must override them."
  }
}

run "rejects_unresolved_argument" {
  command = plan

  variables {
    extra_job_arguments = {}
  }

  expect_failures = [aws_glue_job.this["claims_to_bronze"]]
}

run "rejects_inconsistent_manifest" {
  command = plan

  variables {
    manifest_path = "tests/fixtures/bad_entry_point.yaml"
  }

  expect_failures = [var.manifest_path]
}
