# Treatment records: the DynamoDB table the treatment system writes (KMS, PITR,
# deletion protection) and its daily incremental export to raw. EventBridge
# Scheduler starts a Step Functions state machine with the scheduled time; the state
# machine asks DynamoDB for an incremental export of the 24 hours before it
# (NEW_IMAGE, DynamoDB JSON, SSE-KMS with the PHI key) to
# raw/treatments/dt=<scheduled day>/AWSDynamoDB/<export-id>/data/*.json.gz.
locals {
  table_name         = "${var.context.name_prefix}-treatments"
  table_arn          = "arn:${var.context.partition}:dynamodb:${var.context.region}:${var.context.account_id}:table/${local.table_name}"
  raw_bucket_arn     = "arn:${var.context.partition}:s3:::${var.raw_bucket_name}"
  state_machine_name = "${var.context.name_prefix}-treatments-export"
  state_machine_arn  = "arn:${var.context.partition}:states:${var.context.region}:${var.context.account_id}:stateMachine:${local.state_machine_name}"

  definition = {
    Comment       = "Incremental export of the treatments table to the raw zone"
    QueryLanguage = "JSONata"
    StartAt       = "Export"
    States = {
      Export = {
        Type     = "Task"
        Resource = "arn:${var.context.partition}:states:::aws-sdk:dynamodb:exportTableToPointInTime"
        Arguments = {
          TableArn       = local.table_arn
          S3Bucket       = var.raw_bucket_name
          S3BucketOwner  = var.context.account_id
          S3Prefix       = "{% 'treatments/dt=' & $substring($states.input.scheduled_time, 0, 10) %}"
          S3SseAlgorithm = "KMS"
          S3SseKmsKeyId  = var.phi_kms_key_arn
          ExportFormat   = "DYNAMODB_JSON"
          ExportType     = "INCREMENTAL_EXPORT"
          IncrementalExportSpecification = {
            ExportFromTime = "{% $fromMillis($toMillis($states.input.scheduled_time) - ${var.export_window_hours * 3600000}) %}"
            ExportToTime   = "{% $states.input.scheduled_time %}"
            ExportViewType = "NEW_IMAGE"
          }
        }
        Retry = [{
          ErrorEquals     = ["DynamoDb.LimitExceededException", "DynamoDb.InternalServerErrorException", "States.Timeout"]
          IntervalSeconds = 60
          MaxAttempts     = 5
          BackoffRate     = 2
        }]
        End = true
      }
    }
  }
}

resource "aws_dynamodb_table" "this" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "treatment_id"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "treatment_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.phi_kms_key_arn
  }

  tags = {
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# Export state machine.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "export" {
  name                 = local.state_machine_name
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Exports the treatments table incrementally to raw/treatments/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy" "export" {
  name = "treatments-export"
  role = aws_iam_role.export.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ExportTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeExport", "dynamodb:ExportTableToPointInTime"]
        Resource = [local.table_arn, "${local.table_arn}/export/*"]
      },
      {
        Sid      = "WriteRawTreatments"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:PutObject"]
        Resource = "${local.raw_bucket_arn}/treatments/*"
      },
      # Step Functions log delivery and X-Ray; these actions take no resource ARN.
      {
        Sid    = "LogDeliveryAndTracing"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:DescribeLogGroups",
          "logs:DescribeResourcePolicies",
          "logs:GetLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:UpdateLogDelivery",
          "xray:GetSamplingRules",
          "xray:GetSamplingTargets",
          "xray:PutTelemetryRecords",
          "xray:PutTraceSegments",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_sfn_state_machine" "this" {
  name       = local.state_machine_name
  role_arn   = aws_iam_role.export.arn
  type       = "STANDARD"
  definition = jsonencode(local.definition)

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = {
    DataClassification = "non-phi"
  }

  depends_on = [aws_iam_role_policy.export]
}

# ---------------------------------------------------------------------------------
# Schedule.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "scheduler" {
  name                 = "${var.context.name_prefix}-treatments-export-schedule"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "EventBridge Scheduler starts the treatments export"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name = "start-export"
  role = aws_iam_role.scheduler.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "StartExport"
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = local.state_machine_arn
    }]
  })
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The schedule holds only a timestamp placeholder as input; no data to protect with a CMK.
  name                         = local.state_machine_name
  description                  = "Daily incremental export of treatment records to raw"
  schedule_expression          = var.export_schedule
  schedule_expression_timezone = "UTC"
  state                        = var.export_schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ scheduled_time = "<aws.scheduler.scheduled-time>" })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 5
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = "${local.state_machine_name}-failed"
  alarm_description   = "The treatments export to raw failed"
  namespace           = "AWS/States"
  metric_name         = "ExecutionsFailed"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.this.arn }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]

  tags = {
    DataClassification = "non-phi"
  }
}
