# Querying the lake. One Athena workgroup per persona (and one for the pipeline),
# each with enforced settings, SSE-KMS results under its own prefix and a
# bytes-scanned cutoff. The views in sql/views/*.sql (found with fileset, so a new
# file deploys without Terraform edits; the tables are the catalog module's, from the
# table registry) are deployed by a Step Functions state machine that runs each
# statement through Athena in dependency
# order and tags each view with its LF-tags: the file's
# "-- data_classification: <phi|limited-data-set|deidentified|non-phi>" header (PHI when absent) and
# "-- audience: care_coordination" when present. The deploy workflow starts it
# after terraform apply. Optional QuickSight (quicksight.tf): the analyst and
# care-team dashboards over the views, SPICE data sets refreshed daily, row-level
# security per clinic.
locals {
  workgroups = { for p in concat(var.personas, ["pipeline"]) : p => "${var.context.name_prefix}-${replace(p, "_", "-")}" }

  results_bucket_arn = "arn:${var.context.partition}:s3:::${var.athena_results_bucket_name}"
  glue_arn           = "arn:${var.context.partition}:glue:${var.context.region}:${var.context.account_id}"
  workgroup_arns     = { for p, n in local.workgroups : p => "arn:${var.context.partition}:athena:${var.context.region}:${var.context.account_id}:workgroup/${n}" }
  state_machine_name = "${var.context.name_prefix}-sql-deploy"

  view_files = sort(tolist(fileset(var.sql_dir, "views/*.sql")))

  # SQL is written against zone schemas (gold.fact_claim) as on the laptop; in AWS the
  # zones are the databases <project>_<env>_<zone>. ${env} placeholders take the
  # environment. Names already qualified with the database are left alone.
  database_prefix = replace(var.context.name_prefix, "-", "_")
  sql_text = {
    for f in local.view_files : f => replace(
      replace(trimsuffix(trimspace(file("${var.sql_dir}/${f}")), ";"), "$${env}", var.context.environment),
      "/\\b(raw|bronze|silver|gold|quarantine)\\.([A-Za-z_`\"])/",
      "${local.database_prefix}_$${1}.$${2}",
    )
  }

  view_sql = { for f in local.view_files : trimsuffix(basename(f), ".sql") => local.sql_text[f] }

  # A file may hold a full CREATE [OR REPLACE] VIEW statement or just the query.
  view_statements = {
    for v, sql in local.view_sql : v => (
      can(regex("(?is)^(\\s*--[^\\n]*\\n)*\\s*create\\s", sql)) ? sql : "CREATE OR REPLACE VIEW ${v} AS\n${sql}"
    )
  }

  view_classification = {
    for v, sql in local.view_sql : v => try(regex("(?m)^\\s*--\\s*data_classification:\\s*(phi|limited-data-set|deidentified|non-phi)\\s*$", sql)[0], "phi")
  }

  view_audience = {
    for v, sql in local.view_sql : v => try(regex("(?m)^\\s*--\\s*audience:\\s*(care_coordination)\\s*$", sql)[0], null)
  }

  view_lf_tags = {
    for v in keys(local.view_sql) : v => concat(
      [{ TagKey = "data_classification", TagValues = [local.view_classification[v]] }],
      local.view_audience[v] == null ? [] : [{ TagKey = "audience", TagValues = [local.view_audience[v]] }],
    )
  }

  # Dependency order: a view depends on the other views its SQL names. Views are
  # placed in up to eight levels; each level runs after the previous one.
  view_deps = {
    for v, sql in local.view_sql : v => [for o in keys(local.view_sql) : o if o != v && can(regex("(?i)\\b${o}\\b", sql))]
  }
  level_0 = [for v in keys(local.view_sql) : v if length(local.view_deps[v]) == 0]
  done_0  = local.level_0
  level_1 = [for v in keys(local.view_sql) : v if !contains(local.done_0, v) && alltrue([for d in local.view_deps[v] : contains(local.done_0, d)])]
  done_1  = concat(local.done_0, local.level_1)
  level_2 = [for v in keys(local.view_sql) : v if !contains(local.done_1, v) && alltrue([for d in local.view_deps[v] : contains(local.done_1, d)])]
  done_2  = concat(local.done_1, local.level_2)
  level_3 = [for v in keys(local.view_sql) : v if !contains(local.done_2, v) && alltrue([for d in local.view_deps[v] : contains(local.done_2, d)])]
  done_3  = concat(local.done_2, local.level_3)
  level_4 = [for v in keys(local.view_sql) : v if !contains(local.done_3, v) && alltrue([for d in local.view_deps[v] : contains(local.done_3, d)])]
  done_4  = concat(local.done_3, local.level_4)
  level_5 = [for v in keys(local.view_sql) : v if !contains(local.done_4, v) && alltrue([for d in local.view_deps[v] : contains(local.done_4, d)])]
  done_5  = concat(local.done_4, local.level_5)
  level_6 = [for v in keys(local.view_sql) : v if !contains(local.done_5, v) && alltrue([for d in local.view_deps[v] : contains(local.done_5, d)])]
  done_6  = concat(local.done_5, local.level_6)
  level_7 = [for v in keys(local.view_sql) : v if !contains(local.done_6, v) && alltrue([for d in local.view_deps[v] : contains(local.done_6, d)])]
  done_7  = concat(local.done_6, local.level_7)

  view_levels = [
    for l in [local.level_0, local.level_1, local.level_2, local.level_3, local.level_4, local.level_5, local.level_6, local.level_7] : sort(l) if length(l) > 0
  ]
  unplaced_views = [for v in keys(local.view_sql) : v if !contains(local.done_7, v)]

  # Step Functions definition: Views0 -> Views1 ... -> Done.
  stage_names = [for i, _ in local.view_levels : "Views${i}"]

  athena_task = {
    Type     = "Task"
    Resource = "arn:${var.context.partition}:states:::athena:startQueryExecution.sync"
    Parameters = {
      "QueryString.$"       = "$.sql"
      WorkGroup             = local.workgroups["pipeline"]
      QueryExecutionContext = { Catalog = "AwsDataCatalog", Database = var.views_database_name }
    }
    Retry = [{
      ErrorEquals     = ["Athena.TooManyRequestsException", "Athena.InternalServerException", "States.Timeout"]
      IntervalSeconds = 5
      MaxAttempts     = 4
      BackoffRate     = 2
    }]
  }

  view_stage = {
    for i, level in local.view_levels : "Views${i}" => {
      Type           = "Map"
      MaxConcurrency = 4
      ItemsPath      = "$.views[${i}]"
      ItemProcessor = {
        ProcessorConfig = { Mode = "INLINE" }
        StartAt         = "CreateView"
        States = {
          CreateView = merge(local.athena_task, { ResultPath = null, Next = "TagView" })
          TagView = {
            Type     = "Task"
            Resource = "arn:${var.context.partition}:states:::aws-sdk:lakeformation:addLFTagsToResource"
            Parameters = {
              Resource   = { Table = { DatabaseName = var.views_database_name, "Name.$" = "$.name" } }
              "LFTags.$" = "$.lf_tags"
            }
            Retry = [{ ErrorEquals = ["LakeFormation.ConcurrentModificationException"], IntervalSeconds = 2, MaxAttempts = 5, BackoffRate = 2 }]
            End   = true
          }
        }
      }
      ResultPath = null
    }
  }

  deploy_input = {
    views = [for level in local.view_levels : [for v in level : { name = v, sql = local.view_statements[v], lf_tags = local.view_lf_tags[v] }]]
  }

  definition_empty = jsonencode({
    Comment = "No SQL under ${var.sql_dir}"
    StartAt = "NothingToDeploy"
    States  = { NothingToDeploy = { Type = "Succeed" } }
  })

  definition_full = jsonencode({
    Comment = "Deploy carelake views through Athena, in dependency order"
    StartAt = "Statements"
    States = merge(
      {
        Statements = { Type = "Pass", Result = local.deploy_input, Next = try(local.stage_names[0], "Done") }
        Done       = { Type = "Succeed" }
      },
      { for name, stage in local.view_stage : name => merge(stage, { Next = try(local.stage_names[index(local.stage_names, name) + 1], "Done") }) },
    )
  })

  definition = length(local.stage_names) == 0 ? local.definition_empty : local.definition_full
}

# ---------------------------------------------------------------------------------
# Workgroups.
# ---------------------------------------------------------------------------------
resource "aws_athena_workgroup" "this" {
  for_each = local.workgroups

  name          = each.value
  description   = "carelake ${var.context.environment}: ${each.key} queries"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${var.athena_results_bucket_name}/${each.key}/"
      expected_bucket_owner = var.context.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.phi_kms_key_arn
      }
    }
  }

  tags = {
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# SQL deployment. Its executions carry SQL text and Athena query metadata, never
# query results, so execution data is logged in full.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "this" {
  name                 = local.state_machine_name
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Runs carelake DDL and view statements through Athena and tags the views"
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

resource "aws_iam_role_policy" "this" {
  name = "sql-deploy"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PipelineWorkgroup"
        Effect   = "Allow"
        Action   = ["athena:GetQueryExecution", "athena:GetWorkGroup", "athena:StartQueryExecution", "athena:StopQueryExecution"]
        Resource = local.workgroup_arns["pipeline"]
      },
      {
        Sid    = "Catalog"
        Effect = "Allow"
        Action = ["glue:CreateTable", "glue:DeleteTable", "glue:GetDatabase", "glue:GetDatabases", "glue:GetPartitions", "glue:GetTable", "glue:GetTables", "glue:UpdateTable"]
        Resource = concat(
          ["${local.glue_arn}:catalog"],
          [for d in var.database_names : "${local.glue_arn}:database/${d}"],
          [for d in var.database_names : "${local.glue_arn}:table/${d}/*"],
        )
      },
      {
        Sid      = "LakeFormation"
        Effect   = "Allow"
        Action   = ["lakeformation:AddLFTagsToResource", "lakeformation:GetDataAccess", "lakeformation:GetResourceLFTags"]
        Resource = "*"
      },
      {
        Sid      = "PipelineResultsList"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = local.results_bucket_arn
      },
      {
        Sid      = "PipelineResults"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
        Resource = "${local.results_bucket_arn}/pipeline/*"
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
  role_arn   = aws_iam_role.this.arn
  type       = "STANDARD"
  definition = local.definition

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

  lifecycle {
    precondition {
      condition     = length(local.unplaced_views) == 0
      error_message = "Views ${join(", ", local.unplaced_views)} reference each other in a cycle or nest deeper than eight levels."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

