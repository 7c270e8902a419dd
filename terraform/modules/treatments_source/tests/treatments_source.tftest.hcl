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
  raw_bucket_name  = "carelake-dev-raw-111122223333"
  phi_kms_key_arn  = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  logs_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  alarm_topic_arn  = "arn:aws:sns:us-east-1:111122223333:carelake-dev-pipeline-failures"
}

run "table_encrypted_recoverable" {
  command = plan

  assert {
    condition     = one(aws_dynamodb_table.this.server_side_encryption).enabled && one(aws_dynamodb_table.this.server_side_encryption).kms_key_arn == var.phi_kms_key_arn
    error_message = "The treatments table must be encrypted with the PHI key."
  }

  assert {
    condition     = one(aws_dynamodb_table.this.point_in_time_recovery).enabled && aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "The treatments table needs PITR (also required by incremental export) and deletion protection."
  }
}

run "incremental_export_to_raw" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.Export.Arguments.ExportType == "INCREMENTAL_EXPORT"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Export.Arguments.S3SseAlgorithm == "KMS"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Export.Arguments.S3SseKmsKeyId == var.phi_kms_key_arn
    )
    error_message = "The export must be incremental and SSE-KMS with the PHI key."
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.this.definition).States.Export.Arguments.S3Prefix == "{% 'treatments/dt=' & $substring($states.input.scheduled_time, 0, 10) %}"
    error_message = "Exports must land under treatments/dt=<scheduled day>/."
  }

  assert {
    condition     = strcontains(jsondecode(aws_sfn_state_machine.this.definition).States.Export.Arguments.IncrementalExportSpecification.ExportFromTime, "- 86400000")
    error_message = "Each export must cover the 24 hours before the scheduled time."
  }

  assert {
    condition     = jsondecode(one(aws_scheduler_schedule.this.target).input).scheduled_time == "<aws.scheduler.scheduled-time>"
    error_message = "The schedule must pass its scheduled time to the state machine."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.export.policy).Statement : !anytrue([for a in flatten([s.Action]) : a == "*" || endswith(a, ":*") || a == "s3:GetObject"])
    ])
    error_message = "The export role must not read raw or hold wildcard actions."
  }
}
