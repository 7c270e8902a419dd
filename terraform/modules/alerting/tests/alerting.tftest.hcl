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
  gold_bucket_name       = "carelake-dev-gold-111122223333"
  raw_bucket_name        = "carelake-dev-raw-111122223333"
  quarantine_bucket_name = "carelake-dev-quarantine-111122223333"
  artifacts_bucket_name  = "carelake-dev-artifacts-111122223333"
  risk_alert_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/risk_alert.zip"
  }
  pipeline_health_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/pipeline_health.zip"
  }
  risk_threshold    = 12
  worklist_location = "Athena view carelake_dev_gold.v_care_team_worklist (workgroup carelake-dev-care-coordinator)"
  failure_notifier_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/failure_notifier.zip"
  }
  runbook_base_url      = "https://github.com/example/carelake/blob/main/docs/runbook.md"
  phi_kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  logs_kms_key_arn      = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  artifacts_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
  subnet_ids            = ["subnet-0a", "subnet-0b"]
  security_group_ids    = ["sg-0a"]
}

run "topics_encrypted_tls_only" {
  command = plan

  assert {
    condition     = aws_sns_topic.this["risk-alerts"].kms_master_key_id == var.phi_kms_key_arn && aws_sns_topic.this["pipeline-failures"].kms_master_key_id == var.logs_kms_key_arn
    error_message = "Topics must be KMS-encrypted: risk alerts with the PHI key, failures with the logs key."
  }

  assert {
    condition = alltrue([
      for p in aws_sns_topic_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "Topic policies must deny publishing without TLS."
  }

  assert {
    condition     = !contains([for s in jsondecode(aws_sns_topic_policy.this["risk-alerts"].policy).Statement : s.Sid], "AlarmsAndEventsPublish")
    error_message = "Only the failures topic takes alarms and events."
  }
}

run "suppression_table" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.hash_key == "patient_key" && one(aws_dynamodb_table.this.ttl).attribute_name == "expires_at" && one(aws_dynamodb_table.this.ttl).enabled
    error_message = "The suppression table is keyed by patient_key with TTL on expires_at."
  }

  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled && one(aws_dynamodb_table.this.server_side_encryption).kms_key_arn == var.phi_kms_key_arn
    error_message = "The suppression table must have PITR and the PHI key."
  }
}

run "lambdas_contract" {
  command = plan

  assert {
    condition     = module.risk_alert.lambda_function_name == "carelake-dev-risk-alert" && module.failure_notifier.lambda_function_name == "carelake-dev-failure-notifier"
    error_message = "Both alert Lambdas must exist."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["risk_alert"].schedule_expression == "cron(0 9 * * ? *)" && aws_cloudwatch_event_rule.this["risk_alert"].name == "carelake-dev-risk-alert-schedule"
    error_message = "The risk alert runs on a schedule (the rule keeps its name)."
  }

  assert {
    condition     = length(aws_chatbot_slack_channel_configuration.this) == 0
    error_message = "Slack is off unless configured."
  }
}

run "slack_gets_failures_only" {
  command = plan

  variables {
    slack = { team_id = "T0000000", channel_id = "C0000000" }
  }

  assert {
    condition     = length(aws_chatbot_slack_channel_configuration.this) == 1 && aws_chatbot_slack_channel_configuration.this[0].user_authorization_required
    error_message = "The Slack channel must exist and require user authorisation."
  }
}

run "one_window_one_threshold_and_where_to_look" {
  command = plan

  assert {
    condition     = module.risk_alert.lambda_function_name == "carelake-dev-risk-alert"
    error_message = "The risk alert Lambda must exist."
  }

  assert {
    condition     = local.risk_alert_environment.SUPPRESSION_HOURS == "24" && local.risk_alert_environment.ALERT_FEED_MAX_AGE_HOURS == "30"
    error_message = "The suppression window defaults to 24 h (the Lambda's and the runbook's default), stale feeds to 30 h."
  }

  assert {
    condition     = local.risk_alert_environment.RISK_THRESHOLD == "12" && local.risk_alert_environment.WORKLIST_LOCATION == var.worklist_location
    error_message = "The Lambda gets the threshold and the worklist location it is given."
  }
}


run "schedules_follow_schedules_enabled" {
  command = plan

  variables {
    schedules_enabled = false
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["risk_alert"].state == "DISABLED" && aws_cloudwatch_event_rule.this["freshness"].state == "DISABLED"
    error_message = "With schedules off (dev), neither the risk alert nor the freshness check runs on its own."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["run_report"].state == "ENABLED"
    error_message = "Run reports are checked whenever a job writes one."
  }
}

run "schedules_on_by_default" {
  command = plan

  assert {
    condition     = alltrue([for r in aws_cloudwatch_event_rule.this : r.state == "ENABLED"])
    error_message = "Every rule is enabled by default."
  }
}

run "pipeline_health_reads_reports_and_lists_sources_only" {
  command = plan

  assert {
    condition     = module.pipeline_health.lambda_function_name == "carelake-dev-pipeline-health"
    error_message = "The pipeline_health Lambda must exist."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["run_report"].event_pattern).detail == { bucket = { name = [var.quarantine_bucket_name] }, object = { key = [{ prefix = "run_report/" }] } }
    error_message = "The run-report rule must match objects created under run_report/ in the quarantine bucket."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["run_report"].event_pattern)["detail-type"] == ["Object Created"]
    error_message = "The run-report rule must match S3 Object Created events."
  }

  assert {
    condition     = !anytrue([for st in jsondecode(local.pipeline_health_policy).Statement : st.Action == "s3:GetObject" && startswith(st.Resource, "arn:aws:s3:::${var.raw_bucket_name}")])
    error_message = "pipeline_health must read no raw object (freshness comes from listings)."
  }

  assert {
    condition     = one([for st in jsondecode(local.pipeline_health_policy).Statement : st.Resource if st.Action == "s3:GetObject"]) == "arn:aws:s3:::${var.quarantine_bucket_name}/run_report/*"
    error_message = "pipeline_health reads run reports only."
  }

  assert {
    condition     = toset(one([for st in jsondecode(local.pipeline_health_policy).Statement : st.Condition.StringLike["s3:prefix"] if st.Action == "s3:ListBucket"])) == toset(["ehr/fhir/*", "ehr/csv/*", "care_mgmt/*", "treatments/*", "claims/*"])
    error_message = "pipeline_health lists only the watched raw prefixes."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["run_report"].rule == aws_cloudwatch_event_rule.this["run_report"].name && aws_lambda_permission.this["freshness"].statement_id == "AllowPipelineHealthFreshness"
    error_message = "Each rule targets its Lambda, which allows it."
  }
}

run "care_team_assignment_is_written_as_json_lines" {
  command = plan

  variables {
    care_team_assignments = [
      { coordinator_id = "cm-001", clinic_id = "3d10019f-c88e-3de5-9916-6107b9c0263d", user_name = "ann@example.org" },
      { coordinator_id = "cm-002", clinic_id = "3d10019f-c88e-3de5-9916-6107b9c0263d" },
    ]
  }

  assert {
    condition     = aws_s3_object.this.content == "{\"clinic_id\":\"3d10019f-c88e-3de5-9916-6107b9c0263d\",\"coordinator_id\":\"cm-001\",\"user_name\":\"ann@example.org\"}\n{\"clinic_id\":\"3d10019f-c88e-3de5-9916-6107b9c0263d\",\"coordinator_id\":\"cm-002\"}\n"
    error_message = "One JSON object per line, user_name only when given."
  }

  assert {
    condition     = aws_s3_object.this.kms_key_id == var.artifacts_kms_key_arn && aws_s3_object.this.server_side_encryption == "aws:kms" && aws_s3_object.this.key == "carelake/config/care_team_assignment.jsonl"
    error_message = "The assignment is KMS-encrypted under the project's artifacts prefix (the Glue jobs read carelake/*)."
  }

  assert {
    condition     = output.care_team_assignment_s3_uri == "s3://carelake-dev-artifacts-111122223333/carelake/config/care_team_assignment.jsonl"
    error_message = "The output is the gold job's care_team_assignment_uri."
  }
}

run "rejects_a_malformed_assignment" {
  command = plan

  variables {
    care_team_assignments = [{ coordinator_id = "cm 001", clinic_id = "org-a" }]
  }

  expect_failures = [var.care_team_assignments]
}

run "rejects_a_threshold_that_is_not_a_lace_score" {
  command = plan

  variables {
    risk_threshold = 10.5
  }

  expect_failures = [var.risk_threshold]
}
