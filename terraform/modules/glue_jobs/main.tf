# Glue jobs, workflow and triggers from the job manifest
# (jobs/src/carelake/manifest.yaml), the one definition of the job graph: a job per
# manifest entry (Glue 5.0, script and Python modules from the artifacts bucket by version,
# no bookmarks (a ledger in the lake says what each run consumed), KMS security
# configuration, private subnets), a scheduled trigger
# for the jobs without dependencies and a conditional trigger (all dependencies
# SUCCEEDED) for each of the others, and failure notification through EventBridge.
locals {
  manifest = yamldecode(file(var.manifest_path))
  jobs     = local.manifest.jobs
  workflow = local.manifest.workflow
  zones    = keys(var.zone_bucket_names)

  glue_arn      = "arn:${var.context.partition}:glue:${var.context.region}:${var.context.account_id}"
  job_names     = { for j in keys(local.jobs) : j => "${var.context.name_prefix}-${j}" }
  workflow_name = "${var.context.name_prefix}-${trimprefix(local.workflow.name, "${var.context.project}-")}"
  artifact_root = "s3://${var.artifacts_bucket_name}/${var.context.project}/${var.artifact_version}"

  root_jobs      = sort([for j, spec in local.jobs : j if length(spec.depends_on) == 0])
  dependent_jobs = { for j, spec in local.jobs : j => spec.depends_on if length(spec.depends_on) > 0 }

  # Values for each job's manifest arguments: <zone>_uri is the zone's base URI, dt
  # defaults to "today", then the job's default_arguments from the manifest, then
  # extra_job_arguments (which win). An argument without a value fails the plan.
  argument_values = {
    for j, spec in local.jobs : j => merge(
      { for z in local.zones : "${z}_uri" => "s3://${var.zone_bucket_names[z]}/" },
      { dt = "today" },
      { for k, v in try(spec.default_arguments, {}) : k => tostring(v) },
      # The Glue databases each job keeps in line with its commits (carelake.lake.glue_catalog).
      { catalog_database_prefix = replace(var.context.name_prefix, "-", "_") },
      var.extra_job_arguments,
    )
  }
  unresolved_arguments = {
    for j, spec in local.jobs : j => [for a in spec.arguments : a if !contains(keys(local.argument_values[j]), a)]
  }

  common_arguments = {
    "--job-language" = "python"
    # Input is arrival-driven (the ledger of raw objects in the lake), not Glue bookmarks.
    "--job-bookmark-option"              = "job-bookmark-disable"
    "--additional-python-modules"        = "${local.artifact_root}/${var.python_modules_file_name}"
    "--python-modules-installer-option"  = "--no-index"
    "--TempDir"                          = "s3://${var.temp_bucket_name}/glue-temp/"
    "--enable-continuous-cloudwatch-log" = "true"
    "--enable-continuous-log-filter"     = "true"
    "--enable-metrics"                   = "true"
    "--enable-observability-metrics"     = "true"
    "--enable-glue-datacatalog"          = "true"
    "--enable-spark-ui"                  = "false"
  }

  zone_bucket_arns = { for z in local.zones : z => "arn:${var.context.partition}:s3:::${var.zone_bucket_names[z]}" }
}

# ---------------------------------------------------------------------------------
# Role and security configuration.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "this" {
  name                 = "${var.context.name_prefix}-glue-jobs"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "carelake Glue jobs: read raw, write the other zones through Lake Formation"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "glue.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy" "this" {
  name = "glue-jobs"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListZoneBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = values(local.zone_bucket_arns)
      },
      {
        Sid      = "ReadRawOnly"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "${local.zone_bucket_arns["raw"]}/*"
      },
      {
        Sid      = "ReadWriteRefinedZones"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = [for z, arn in local.zone_bucket_arns : "${arn}/*" if z != "raw"]
      },
      {
        Sid      = "ReadArtifacts"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:GetObjectVersion"]
        Resource = "arn:${var.context.partition}:s3:::${var.artifacts_bucket_name}/${var.context.project}/*"
      },
      {
        Sid      = "TempDir"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
        Resource = "arn:${var.context.partition}:s3:::${var.temp_bucket_name}/glue-temp/*"
      },
      {
        Sid      = "ListTempDir"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = "arn:${var.context.partition}:s3:::${var.temp_bucket_name}"
      },
      {
        Sid    = "Catalog"
        Effect = "Allow"
        Action = [
          "glue:BatchCreatePartition",
          "glue:BatchDeletePartition",
          "glue:BatchGetPartition",
          "glue:BatchUpdatePartition",
          "glue:CreatePartition",
          "glue:CreateTable",
          "glue:GetDatabase",
          "glue:GetDatabases",
          "glue:GetPartition",
          "glue:GetPartitions",
          "glue:GetTable",
          "glue:GetTables",
          "glue:UpdatePartition",
          "glue:UpdateTable",
        ]
        Resource = concat(
          ["${local.glue_arn}:catalog"],
          [for z in local.zones : "${local.glue_arn}:database/${replace(var.context.name_prefix, "-", "_")}_${z}"],
          [for z in local.zones : "${local.glue_arn}:table/${replace(var.context.name_prefix, "-", "_")}_${z}/*"],
        )
      },
      {
        Sid      = "LakeFormationCredentialVending"
        Effect   = "Allow"
        Action   = "lakeformation:GetDataAccess"
        Resource = "*"
      },
      {
        Sid      = "GlueLogs"
        Effect   = "Allow"
        Action   = ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:${var.context.partition}:logs:${var.context.region}:${var.context.account_id}:log-group:/aws-glue/*"
      },
      {
        Sid       = "GlueMetrics"
        Effect    = "Allow"
        Action    = "cloudwatch:PutMetricData"
        Resource  = "*"
        Condition = { StringEquals = { "cloudwatch:namespace" = "Glue" } }
      },
      # Glue's VPC connection creates ENIs in the private subnets; these EC2 actions
      # support no resource-level ARNs.
      {
        Sid    = "VpcNetworkInterfaces"
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterface",
          "ec2:CreateTags",
          "ec2:DeleteNetworkInterface",
          "ec2:DeleteTags",
          "ec2:DescribeDhcpOptions",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeRouteTables",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSubnets",
          "ec2:DescribeVpcAttribute",
          "ec2:DescribeVpcEndpoints",
          "ec2:DescribeVpcs",
        ]
        Resource = "*"
      },
    ]
  })
}

resource "aws_glue_security_configuration" "this" {
  name = "${var.context.name_prefix}-glue"

  encryption_configuration {
    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.phi_kms_key_arn
    }

    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.logs_kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.phi_kms_key_arn
    }
  }
}

# One NETWORK connection per private subnet: Glue tries the next one if a zone is out
# of capacity. Jobs run only inside the VPC.
resource "aws_glue_connection" "this" {
  for_each = var.subnet_ids_by_availability_zone

  name            = "${var.context.name_prefix}-vpc-${each.key}"
  description     = "carelake Glue jobs in the private subnet of ${each.key}"
  connection_type = "NETWORK"

  physical_connection_requirements {
    subnet_id              = each.value
    availability_zone      = each.key
    security_group_id_list = var.security_group_ids
  }

  tags = {
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# Jobs, workflow and triggers.
# ---------------------------------------------------------------------------------
resource "aws_glue_job" "this" {
  for_each = local.jobs

  name                   = local.job_names[each.key]
  description            = each.value.description
  role_arn               = aws_iam_role.this.arn
  glue_version           = "5.0"
  worker_type            = each.value.glue.worker_type
  number_of_workers      = each.value.glue.number_of_workers
  timeout                = each.value.glue.timeout_minutes
  max_retries            = try(each.value.glue.max_retries, 0)
  execution_class        = "STANDARD"
  security_configuration = aws_glue_security_configuration.this.name
  connections            = [for c in aws_glue_connection.this : c.name]

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.artifact_root}/glue/${each.key}.py"
  }

  default_arguments = merge(
    local.common_arguments,
    { for a in each.value.arguments : "--${a}" => local.argument_values[each.key][a] if contains(keys(local.argument_values[each.key]), a) },
  )

  execution_property {
    max_concurrent_runs = try(each.value.glue.max_concurrent_runs, 1)
  }

  tags = {
    DataClassification = "phi"
  }

  lifecycle {
    precondition {
      condition     = length(local.unresolved_arguments[each.key]) == 0
      error_message = "Job ${each.key}: no value for arguments ${join(", ", local.unresolved_arguments[each.key])}; give them default_arguments in the manifest or values in extra_job_arguments."
    }
  }
}

resource "aws_glue_workflow" "this" {
  name                = local.workflow_name
  description         = local.workflow.description
  max_concurrent_runs = 1

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_glue_trigger" "start" {
  name              = "${local.workflow_name}-start"
  description       = "Starts the jobs that depend on nothing, on the manifest's schedule"
  workflow_name     = aws_glue_workflow.this.name
  type              = "SCHEDULED"
  schedule          = local.workflow.schedule
  enabled           = var.schedule_enabled
  start_on_creation = var.schedule_enabled

  dynamic "actions" {
    for_each = local.root_jobs

    content {
      job_name = aws_glue_job.this[actions.value].name
    }
  }

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_glue_trigger" "after_dependencies" {
  for_each = local.dependent_jobs

  name              = "${local.workflow_name}-${each.key}"
  description       = "Starts ${each.key} when ${join(", ", each.value)} succeeded"
  workflow_name     = aws_glue_workflow.this.name
  type              = "CONDITIONAL"
  start_on_creation = true

  predicate {
    logical = "AND"

    dynamic "conditions" {
      for_each = sort(each.value)

      content {
        job_name         = aws_glue_job.this[conditions.value].name
        state            = "SUCCEEDED"
        logical_operator = "EQUALS"
      }
    }
  }

  actions {
    job_name = aws_glue_job.this[each.key].name
  }

  tags = {
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# Failure notification and alarms.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "this" {
  name        = "${var.context.name_prefix}-glue-job-failed"
  description = "A carelake Glue job failed, timed out or errored"
  event_pattern = jsonencode({
    source        = ["aws.glue"]
    "detail-type" = ["Glue Job State Change"]
    detail = {
      state   = ["FAILED", "TIMEOUT", "ERROR"]
      jobName = [{ prefix = "${var.context.name_prefix}-" }]
    }
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "failure-notifier"
  arn       = var.failure_notifier.function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowGlueFailureRule"
  action        = "lambda:InvokeFunction"
  function_name = var.failure_notifier.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

resource "aws_cloudwatch_metric_alarm" "job_failed" {
  alarm_name          = "${var.context.name_prefix}-glue-job-failed"
  alarm_description   = "A carelake Glue job failed (the EventBridge failure rule matched)"
  namespace           = "AWS/Events"
  metric_name         = "TriggeredRules"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.this.name }
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

resource "aws_cloudwatch_metric_alarm" "notification_failed" {
  alarm_name          = "${var.context.name_prefix}-glue-failure-notification-failed"
  alarm_description   = "EventBridge could not deliver a Glue failure to the failure notifier"
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.this.name }
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

# A run that uses most of its timeout is about to fail: warn before it does.
resource "aws_cloudwatch_metric_alarm" "job_slow" {
  for_each = local.jobs

  alarm_name          = "${local.job_names[each.key]}-near-timeout"
  alarm_description   = "${each.key} ran longer than ${var.slow_run_percent}% of its ${each.value.glue.timeout_minutes}-minute timeout"
  namespace           = "Glue"
  metric_name         = "glue.driver.aggregate.elapsedTime"
  dimensions          = { JobName = aws_glue_job.this[each.key].name, JobRunId = "ALL", Type = "count" }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.glue.timeout_minutes * 60000 * var.slow_run_percent / 100
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]

  tags = {
    DataClassification = "non-phi"
  }
}
