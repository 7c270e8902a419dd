mock_provider "aws" {
  mock_resource "aws_guardduty_detector" {
    defaults = {
      id = "12abc34d567e8fa901bc2d34e56789f0"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111122223333:role/carelake-dev-config-recorder"
    }
  }
}

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
  security_topic_arn   = "arn:aws:sns:us-east-1:111122223333:carelake-dev-security-alerts"
  delivery_bucket_name = "carelake-dev-audit-111122223333"
  logs_kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  phi_bucket_names     = ["carelake-dev-raw-111122223333", "carelake-dev-gold-111122223333"]
}

run "every_control_managed_here_by_default" {
  command = plan

  assert {
    condition     = output.detective_controls == { guardduty = "managed here", securityhub = "managed here", config = "managed here", macie = "managed here", access_analyzer = "managed here" }
    error_message = "With no delegation every detective control is managed here."
  }

  assert {
    condition     = aws_guardduty_detector.this[0].enable && toset(keys(aws_guardduty_detector_feature.this)) == toset(["S3_DATA_EVENTS", "LAMBDA_NETWORK_LOGS"]) && alltrue([for f in aws_guardduty_detector_feature.this : f.status == "ENABLED"])
    error_message = "GuardDuty must be on with S3 protection (S3 data events) and Lambda network monitoring."
  }

  assert {
    condition     = aws_securityhub_standards_subscription.this[0].standards_arn == "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    error_message = "Security Hub must run the AWS Foundational Security Best Practices standard."
  }

  assert {
    condition     = aws_macie2_account.this[0].status == "ENABLED" && toset(one(one(aws_macie2_classification_job.this[0].s3_job_definition).bucket_definitions).buckets) == toset(var.phi_bucket_names)
    error_message = "Macie must scan exactly the PHI buckets."
  }

  assert {
    condition     = aws_accessanalyzer_analyzer.this[0].type == "ACCOUNT"
    error_message = "IAM Access Analyzer must watch the account."
  }
}

run "config_records_everything_and_evaluates_the_hipaa_pack" {
  command = plan

  assert {
    condition     = one(aws_config_configuration_recorder.this[0].recording_group).all_supported && one(aws_config_configuration_recorder.this[0].recording_group).include_global_resource_types
    error_message = "The recorder must record every supported resource type, global ones included."
  }

  assert {
    condition     = aws_iam_role.this[0].permissions_boundary == "arn:aws:iam::111122223333:policy/carelake-dev-workload-boundary"
    error_message = "The recorder's role must carry the workload boundary (the apply role creates no other)."
  }

  assert {
    condition     = aws_config_configuration_recorder_status.this[0].is_enabled && aws_config_delivery_channel.this[0].s3_kms_key_arn == var.logs_kms_key_arn && aws_config_delivery_channel.this[0].s3_bucket_name == var.delivery_bucket_name
    error_message = "The recorder must be on and deliver KMS-encrypted snapshots to the audit bucket."
  }

  assert {
    condition = alltrue([
      for rule in ["api-gw-associated-with-waf", "s3-bucket-ssl-requests-only", "dynamodb-in-backup-plan", "cloud-trail-log-file-validation-enabled", "guardduty-enabled-centralized", "securityhub-enabled"] :
      contains(keys(yamldecode(aws_config_conformance_pack.this[0].template_body).Resources), replace(title(replace(rule, "-", " ")), " ", ""))
    ])
    error_message = "The HIPAA Security conformance pack must hold the rules the controls catalog cites."
  }

  assert {
    condition = alltrue([
      for r in values(yamldecode(aws_config_conformance_pack.this[0].template_body).Resources) :
      r.Type == "AWS::Config::ConfigRule" && r.Properties.Source.Owner == "AWS"
    ])
    error_message = "The pack holds AWS managed Config rules only."
  }
}

run "findings_routed_to_the_security_topic" {
  command = plan

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.this)) == toset(["guardduty", "securityhub", "config", "macie", "access_analyzer"])
    error_message = "Every detective control's findings need a rule."
  }

  assert {
    condition     = alltrue([for t in aws_cloudwatch_event_target.this : t.arn == var.security_topic_arn])
    error_message = "Every finding rule must target the security topic."
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this["guardduty"].event_pattern).detail.severity[0].numeric == [">=", 4]
    error_message = "GuardDuty findings of medium severity and above must be routed."
  }
}

run "delegation_names_the_security_account" {
  command = plan

  variables {
    delegated_controls = { guardduty = "210987654321", securityhub = "210987654321" }
  }

  assert {
    condition     = length(aws_guardduty_detector.this) == 0 && length(aws_securityhub_account.this) == 0 && length(aws_config_configuration_recorder.this) == 1
    error_message = "Only the delegated controls leave this module."
  }

  assert {
    condition     = output.detective_controls.guardduty == "delegated to 210987654321" && output.detective_controls.config == "managed here"
    error_message = "A delegated control must say which account runs it."
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.this) == 5
    error_message = "Findings are routed whoever manages the control."
  }
}

run "rejects_an_unknown_control_or_account" {
  command = plan

  variables {
    delegated_controls = { cloudtrail = "210987654321", guardduty = "security" }
  }

  expect_failures = [var.delegated_controls]
}

run "rejects_delegation_to_this_account" {
  command = plan

  variables {
    delegated_controls = { macie = "111122223333" }
  }

  expect_failures = [var.delegated_controls]
}
