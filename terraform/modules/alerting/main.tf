# Notices. Two KMS-encrypted SNS topics: risk alerts (a count per clinic and where to
# look, no PHI; PHI key all the same) and pipeline failures (logs key; also every platform
# alarm). The risk_alert Lambda reads the gold alert feed on a schedule and tells each
# clinic how many patients are newly on the care team worklist, at most once per patient
# per suppression window (a DynamoDB table: KMS, PITR, TTL). The failure_notifier Lambda
# turns Glue failure events into notices with a runbook link; the pipeline_health Lambda
# checks every job's run report and each raw source's freshness. Pipeline notices can also
# go to Slack through AWS Chatbot; risk alerts never do. The care team assignment (which
# coordinator covers which clinic) is written here as the gold job's configuration file.
locals {
  gold_bucket_arn       = "arn:${var.context.partition}:s3:::${var.gold_bucket_name}"
  raw_bucket_arn        = "arn:${var.context.partition}:s3:::${var.raw_bucket_name}"
  quarantine_bucket_arn = "arn:${var.context.partition}:s3:::${var.quarantine_bucket_name}"
  alert_feed_prefix     = "alert_feed/high_risk/"
  run_report_prefix     = "run_report/"
  table_name            = "${var.context.name_prefix}-alert-suppression"
  table_arn             = "arn:${var.context.partition}:dynamodb:${var.context.region}:${var.context.account_id}:table/${local.table_name}"
  schedule_state        = var.schedules_enabled ? "ENABLED" : "DISABLED"

  risk_alert_environment = {
    ALERT_FEED_URI           = "s3://${var.gold_bucket_name}/${local.alert_feed_prefix}"
    RISK_THRESHOLD           = tostring(var.risk_threshold)
    TOPIC_ARN                = local.topic_arns["risk-alerts"]
    SUPPRESSION_TABLE        = local.table_name
    SUPPRESSION_HOURS        = tostring(var.suppression_hours)
    ALERT_FEED_MAX_AGE_HOURS = tostring(var.alert_feed_max_age_hours)
    WORKLIST_LOCATION        = var.worklist_location
  }

  # The gold job's care_team_assignment_uri: one JSON object per line (carelake.gold.worklist).
  care_team_assignment_key = "${var.context.project}/config/care_team_assignment.jsonl"
  care_team_assignment_jsonl = join("", [
    for a in var.care_team_assignments : "${jsonencode({ for k, v in a : k => v if v != null })}\n"
  ])

  topics = {
    risk-alerts = {
      display_name        = "carelake risk alerts"
      kms_key_arn         = var.phi_kms_key_arn
      data_classification = "phi"
      publisher_services  = []
      email_endpoints     = var.risk_alert_email_endpoints
    }
    pipeline-failures = {
      display_name        = "carelake pipeline failures"
      kms_key_arn         = var.logs_kms_key_arn
      data_classification = "non-phi"
      publisher_services  = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
      email_endpoints     = var.pipeline_failure_email_endpoints
    }
  }

  topic_arns = { for k in keys(local.topics) : k => "arn:${var.context.partition}:sns:${var.context.region}:${var.context.account_id}:${var.context.name_prefix}-${k}" }

  subscriptions = merge([
    for t, cfg in local.topics : { for e in cfg.email_endpoints : "${t}/${e}" => { topic = t, endpoint = e } }
  ]...)
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = "${var.context.name_prefix}-${each.key}"
  display_name      = each.value.display_name
  kms_master_key_id = each.value.kms_key_arn

  tags = {
    DataClassification = each.value.data_classification
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topics

  arn = aws_sns_topic.this[each.key].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "OwnerAccountManages"
          Effect    = "Allow"
          Principal = { AWS = "arn:${var.context.partition}:iam::${var.context.account_id}:root" }
          Action = [
            "sns:AddPermission",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:RemovePermission",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
          ]
          Resource = local.topic_arns[each.key]
        },
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "sns:Publish"
          Resource  = local.topic_arns[each.key]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
      ],
      length(each.value.publisher_services) > 0 ? [{
        Sid       = "AlarmsAndEventsPublish"
        Effect    = "Allow"
        Principal = { Service = each.value.publisher_services }
        Action    = "sns:Publish"
        Resource  = local.topic_arns[each.key]
        Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
      }] : [],
    )
  })
}

resource "aws_sns_topic_subscription" "this" {
  for_each = local.subscriptions

  topic_arn = aws_sns_topic.this[each.value.topic].arn
  protocol  = "email"
  endpoint  = each.value.endpoint
}

# ---------------------------------------------------------------------------------
# Suppression table: one item per patient alerted, expiring after SUPPRESSION_HOURS.
# ---------------------------------------------------------------------------------
resource "aws_dynamodb_table" "this" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "patient_key"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "patient_key"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
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
# Risk alerts.
# ---------------------------------------------------------------------------------
module "risk_alert" {
  source = "../lambda_function"

  context                 = var.context
  name                    = "risk_alert"
  description             = "Tells each clinic how many patients are newly on the care team worklist (no PHI), once per patient per suppression window"
  code                    = var.risk_alert_code
  timeout                 = 300
  environment_variables   = local.risk_alert_environment
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = aws_sns_topic.this["pipeline-failures"].arn
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListAlertFeed"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.gold_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.alert_feed_prefix}*"] } }
      },
      {
        Sid      = "ReadAlertFeed"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.gold_bucket_arn}/${local.alert_feed_prefix}*"
      },
      {
        Sid      = "PublishRiskAlerts"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = local.topic_arns["risk-alerts"]
      },
      {
        Sid      = "Suppression"
        Effect   = "Allow"
        Action   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = local.table_arn
      },
    ]
  })
}

# ---------------------------------------------------------------------------------
# Pipeline health: run reports (an S3 event per report) and source freshness (a schedule).
# ---------------------------------------------------------------------------------
module "pipeline_health" {
  source = "../lambda_function"

  context     = var.context
  name        = "pipeline_health"
  description = "Notices for run reports with failed data-quality checks or too many quarantined rows, and for raw sources that stopped landing data"
  code        = var.pipeline_health_code
  timeout     = 120
  environment_variables = {
    TOPIC_ARN                          = local.topic_arns["pipeline-failures"]
    RUNBOOK_BASE_URL                   = var.runbook_base_url
    REPORT_BUCKET                      = var.quarantine_bucket_name
    RAW_BUCKET                         = var.raw_bucket_name
    SOURCES                            = jsonencode(var.source_freshness)
    QUARANTINE_RATE_THRESHOLD          = tostring(var.quarantine_rate_threshold)
    QUARANTINE_RATE_THRESHOLD_BY_TABLE = jsonencode(var.quarantine_rate_threshold_by_table)
  }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = aws_sns_topic.this["pipeline-failures"].arn
  data_classification     = "non-phi"
  policy_json             = local.pipeline_health_policy
}

locals {
  # Listing raw needs no read of any object: LastModified comes with the listing.
  pipeline_health_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadRunReports"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.quarantine_bucket_arn}/${local.run_report_prefix}*"
      },
      {
        Sid       = "ListRawSources"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_bucket_arn
        Condition = { StringLike = { "s3:prefix" = [for s in values(var.source_freshness) : "${s.prefix}*"] } }
      },
      {
        Sid      = "PublishPipelineNotices"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = local.topic_arns["pipeline-failures"]
      },
    ]
  })
}

# ---------------------------------------------------------------------------------
# What starts the Lambdas. Schedules follow schedules_enabled (dev turns them off with
# the Glue workflow's); the run-report rule fires whenever a job writes a report.
# ---------------------------------------------------------------------------------
locals {
  rules = {
    risk_alert = {
      name                = "risk-alert-schedule"
      description         = "Runs the risk_alert Lambda over the latest alert feed"
      schedule_expression = var.risk_alert_schedule
      event_pattern       = null
      state               = local.schedule_state
      function            = "risk_alert"
    }
    freshness = {
      name                = "pipeline-health-freshness"
      description         = "Runs the pipeline_health Lambda's freshness check of the raw sources"
      schedule_expression = var.freshness_schedule
      event_pattern       = null
      state               = local.schedule_state
      function            = "pipeline_health"
    }
    run_report = {
      name                = "pipeline-health-run-report"
      description         = "Sends every job's run report to the pipeline_health Lambda"
      schedule_expression = null
      event_pattern = jsonencode({
        source        = ["aws.s3"]
        "detail-type" = ["Object Created"]
        detail = {
          bucket = { name = [var.quarantine_bucket_name] }
          object = { key = [{ prefix = local.run_report_prefix }] }
        }
      })
      state    = "ENABLED"
      function = "pipeline_health"
    }
  }
  functions = {
    risk_alert      = { arn = module.risk_alert.lambda_function_arn, name = module.risk_alert.lambda_function_name }
    pipeline_health = { arn = module.pipeline_health.lambda_function_arn, name = module.pipeline_health.lambda_function_name }
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.rules

  name                = "${var.context.name_prefix}-${each.value.name}"
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  event_pattern       = each.value.event_pattern
  state               = each.value.state

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = replace(each.key, "_", "-")
  arn       = local.functions[each.value.function].arn
}

resource "aws_lambda_permission" "this" {
  for_each = local.rules

  statement_id  = "Allow${replace(title(replace(each.value.name, "-", " ")), " ", "")}"
  action        = "lambda:InvokeFunction"
  function_name = local.functions[each.value.function].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

# The schedule was this module's only rule before the pipeline-health rules came.
moved {
  from = aws_cloudwatch_event_rule.this
  to   = aws_cloudwatch_event_rule.this["risk_alert"]
}

moved {
  from = aws_cloudwatch_event_target.this
  to   = aws_cloudwatch_event_target.this["risk_alert"]
}

moved {
  from = aws_lambda_permission.this
  to   = aws_lambda_permission.this["risk_alert"]
}

# ---------------------------------------------------------------------------------
# Care team assignment: configuration the gold job reads (care_team_assignment_uri) and
# lands as gold.care_team_assignment. Staff and facilities only, no patient data.
# ---------------------------------------------------------------------------------
resource "aws_s3_object" "this" {
  bucket                 = var.artifacts_bucket_name
  key                    = local.care_team_assignment_key
  content                = local.care_team_assignment_jsonl
  content_type           = "application/x-ndjson"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.artifacts_kms_key_arn
  bucket_key_enabled     = true

  tags = {
    DataClassification = "non-phi"
  }
}

# ---------------------------------------------------------------------------------
# Failure notices (the glue_jobs module routes Glue failure events here).
# ---------------------------------------------------------------------------------
module "failure_notifier" {
  source = "../lambda_function"

  context     = var.context
  name        = "failure_notifier"
  description = "Turns Glue job failure events into pipeline-failure notices with a runbook link"
  code        = var.failure_notifier_code
  environment_variables = {
    TOPIC_ARN        = local.topic_arns["pipeline-failures"]
    RUNBOOK_BASE_URL = var.runbook_base_url
    JOB_NAME_PREFIX  = var.context.name_prefix
  }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = aws_sns_topic.this["pipeline-failures"].arn
  data_classification     = "non-phi"
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PublishFailures"
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = local.topic_arns["pipeline-failures"]
    }]
  })
}

# ---------------------------------------------------------------------------------
# Optional Slack channel for pipeline failures.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "this" {
  count = var.slack == null ? 0 : 1

  name                 = "${var.context.name_prefix}-chatbot"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "AWS Chatbot posts pipeline failures to Slack (read-only CloudWatch)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "chatbot.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  count = var.slack == null ? 0 : 1

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  count = var.slack == null ? 0 : 1

  configuration_name          = "${var.context.name_prefix}-pipeline-failures"
  iam_role_arn                = aws_iam_role.this[0].arn
  slack_team_id               = var.slack.team_id
  slack_channel_id            = var.slack.channel_id
  sns_topic_arns              = [aws_sns_topic.this["pipeline-failures"].arn]
  guardrail_policy_arns       = ["arn:${var.context.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"]
  user_authorization_required = true
  logging_level               = "ERROR"

  tags = {
    DataClassification = "non-phi"
  }
}
