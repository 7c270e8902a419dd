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
  logs_kms_key_arn        = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  access_logs_bucket_name = "carelake-dev-access-logs-111122223333"
  phi_bucket_arns         = ["arn:aws:s3:::carelake-dev-raw-111122223333", "arn:aws:s3:::carelake-dev-gold-111122223333"]
  phi_dynamodb_table_arns = ["arn:aws:dynamodb:us-east-1:111122223333:table/carelake-dev-treatments"]
}

run "trail_validated_encrypted_everywhere" {
  command = plan

  assert {
    condition     = aws_cloudtrail.this.enable_log_file_validation && aws_cloudtrail.this.is_multi_region_trail && aws_cloudtrail.this.include_global_service_events
    error_message = "The trail must be multi-region, include global events and validate log files."
  }

  assert {
    condition     = aws_cloudtrail.this.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.this.kms_key_id == var.logs_kms_key_arn
    error_message = "Trail files and the trail log group must be KMS-encrypted."
  }

  assert {
    condition     = aws_cloudtrail.this.cloud_watch_logs_group_arn != null
    error_message = "The trail must deliver to CloudWatch Logs."
  }
}

run "data_events_on_every_phi_bucket" {
  command = plan

  assert {
    condition = anytrue([
      for s in aws_cloudtrail.this.advanced_event_selector : anytrue([
        for f in s.field_selector : f.field == "resources.ARN" && f.starts_with == tolist(["arn:aws:s3:::carelake-dev-raw-111122223333/", "arn:aws:s3:::carelake-dev-gold-111122223333/"])
      ])
    ])
    error_message = "Every PHI bucket's objects must be covered by data events."
  }

  assert {
    condition = anytrue([
      for s in aws_cloudtrail.this.advanced_event_selector : anytrue([
        for f in s.field_selector : f.field == "resources.ARN" && f.equals == var.phi_dynamodb_table_arns
      ])
    ])
    error_message = "PHI tables must be covered by data events."
  }
}

run "alarms" {
  command = plan

  assert {
    condition     = length(setsubtract(["unauthorized-api-calls", "kms-key-disabled-or-deletion", "bucket-policy-changes"], keys(aws_cloudwatch_metric_alarm.this))) == 0
    error_message = "Unauthorised calls, KMS key disabling/deletion and bucket policy changes must alarm."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_log_metric_filter.this["kms-key-disabled-or-deletion"].pattern, "ScheduleKeyDeletion")
    error_message = "The KMS filter must catch scheduled deletion."
  }

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == var.logs_kms_key_arn
    error_message = "The security topic must be KMS-encrypted."
  }
}

run "trail_bucket_locked_down" {
  command = plan

  assert {
    condition     = anytrue([for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"])
    error_message = "The trail bucket must deny non-TLS access."
  }

  assert {
    condition     = [for s in jsondecode(aws_s3_bucket_policy.this.policy).Statement : s.Condition.StringEquals["aws:SourceArn"] if s.Sid == "CloudTrailWrite"][0] == "arn:aws:cloudtrail:us-east-1:111122223333:trail/carelake-dev-trail"
    error_message = "Only this trail may write to the bucket."
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.this.restrict_public_buckets && one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "The trail bucket must block public access and be versioned."
  }
}

run "rejects_short_retention" {
  command = plan

  variables {
    audit_log_expiration_days = 30
  }

  expect_failures = [var.audit_log_expiration_days]
}

run "security_topic_takes_alarms_and_finding_rules" {
  command = plan

  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.this.policy).Statement :
      s.Effect == "Allow" && toset(flatten([try(s.Principal.Service, [])])) == toset(["cloudwatch.amazonaws.com", "events.amazonaws.com"]) && try(s.Condition.StringEquals["aws:SourceAccount"], "") == "111122223333"
    ])
    error_message = "CloudWatch alarms and EventBridge finding rules of this account (only) must be able to publish to the security topic."
  }
}
