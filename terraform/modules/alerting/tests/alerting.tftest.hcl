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
  gold_bucket_name = "carelake-dev-gold-111122223333"
  risk_alert_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/risk_alert.zip"
  }
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
    condition     = aws_cloudwatch_event_rule.this.schedule_expression == "cron(0 9 * * ? *)"
    error_message = "The risk alert runs on a schedule."
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
