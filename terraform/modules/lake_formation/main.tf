# Lake Formation governs every read and write of lake tables. Named admins only
# (IAMAllowedPrincipals defaults removed: the provider sends empty default
# permission lists because none are configured here), zone buckets registered with a
# dedicated role, LF-tags on databases, tables and direct-identifier columns, and
# tag-based grants per persona:
#   data engineer     all zones (as the pipeline roles)
#   analyst           gold tables tagged deidentified or non-phi; columns tagged phi drop out
#   limited data set  gold tables tagged limited-data-set, only for the principals named in
#                     limited_data_set_readers (each under a data use agreement); none by default
#   care coordinator  gold tables tagged audience=care_coordination only
#   auditor           DESCRIBE (metadata) everywhere, logs read-only through IAM
locals {
  zones = keys(var.zone_bucket_arns)

  personas = {
    data_engineer    = "Builds and operates the pipeline: every zone"
    analyst          = "Analytics: de-identified gold tables and views, direct identifiers excluded"
    care_coordinator = "Care coordination: the high-risk outreach list only"
    auditor          = "Compliance audit: metadata and logs, read-only"
  }

  glue_arn = "arn:${var.context.partition}:glue:${var.context.region}:${var.context.account_id}"

  lf_tags = {
    zone                = local.zones
    data_classification = ["phi", "limited-data-set", "deidentified", "non-phi"]
    audience            = ["care_coordination"]
  }

  tables = { for t in var.tables : "${t.database_name}.${t.name}" => t }

  coordinator_tables = toset([
    for k, t in local.tables : k if t.zone == "gold" && contains(var.care_coordinator_table_names, t.name)
  ])

  identifier_tables = { for k, t in local.tables : k => t if length(t.direct_identifier_columns) > 0 }

  # QuickSight reads gold objects by name; a table with direct identifiers only without them.
  gold_identifier_columns = { for t in var.tables : t.name => t.direct_identifier_columns if t.zone == "gold" }
  quicksight_objects      = var.quicksight == null ? {} : { for n in var.quicksight.glue_table_names : n => lookup(local.gold_identifier_columns, n, []) }

  # Who gets which tag-based grant. Keys are static so for_each is known at plan.
  engineer_principals = merge(
    { data_engineer = aws_iam_role.persona["data_engineer"].arn },
    var.pipeline_role_arns,
  )

  all_zones = [{ key = "zone", values = local.zones }]
  gold_only = [{ key = "zone", values = ["gold"] }]

  # Safe Harbor de-identified data and data about the pipeline: never dates, source ids or
  # identifiers of a person (tests/unit/test_analyst_grant.py checks every table it covers).
  analyst_classifications = ["deidentified", "non-phi"]

  tag_grants = merge(
    merge([
      for p, arn in local.engineer_principals : {
        "${p}/databases" = { principal = arn, resource_type = "DATABASE", permissions = ["ALTER", "CREATE_TABLE", "DESCRIBE"], expression = local.all_zones }
        "${p}/tables"    = { principal = arn, resource_type = "TABLE", permissions = ["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"], expression = local.all_zones }
      }
    ]...),
    {
      "analyst/databases" = { principal = aws_iam_role.persona["analyst"].arn, resource_type = "DATABASE", permissions = ["DESCRIBE"], expression = local.gold_only }
      "analyst/tables" = {
        principal     = aws_iam_role.persona["analyst"].arn
        resource_type = "TABLE"
        permissions   = ["DESCRIBE", "SELECT"]
        expression    = concat(local.gold_only, [{ key = "data_classification", values = local.analyst_classifications }])
      }
      "care_coordinator/databases" = { principal = aws_iam_role.persona["care_coordinator"].arn, resource_type = "DATABASE", permissions = ["DESCRIBE"], expression = local.gold_only }
      "care_coordinator/tables" = {
        principal     = aws_iam_role.persona["care_coordinator"].arn
        resource_type = "TABLE"
        permissions   = ["DESCRIBE", "SELECT"]
        expression    = concat(local.gold_only, [{ key = "audience", values = ["care_coordination"] }])
      }
      "auditor/databases" = { principal = aws_iam_role.persona["auditor"].arn, resource_type = "DATABASE", permissions = ["DESCRIBE"], expression = local.all_zones }
      "auditor/tables"    = { principal = aws_iam_role.persona["auditor"].arn, resource_type = "TABLE", permissions = ["DESCRIBE"], expression = local.all_zones }
    },
    # The limited data set (exact dates, source ids; 164.514(e)): a separate grant per principal
    # under a data use agreement, in addition to whatever else the principal holds.
    merge([
      for k, r in var.limited_data_set_readers : {
        "limited_data_set/${k}/databases" = { principal = r.principal_arn, resource_type = "DATABASE", permissions = ["DESCRIBE"], expression = local.gold_only }
        "limited_data_set/${k}/tables" = {
          principal     = r.principal_arn
          resource_type = "TABLE"
          permissions   = ["DESCRIBE", "SELECT"]
          expression    = concat(local.gold_only, [{ key = "data_classification", values = ["limited-data-set"] }])
        }
      }
    ]...),
  )

  location_grants = merge([
    for p, arn in local.engineer_principals : {
      for z in local.zones : "${p}/${z}" => { principal = arn, location = var.zone_bucket_arns[z] }
    }
  ]...)

  workgroup_locations = {
    for p, w in var.athena_workgroups : p => {
      bucket = regex("^s3://([^/]+)/(.*)$", w.output_location)[0]
      prefix = regex("^s3://([^/]+)/(.*)$", w.output_location)[1]
    }
  }
}

resource "aws_lakeformation_data_lake_settings" "this" {
  admins                        = var.admin_arns
  read_only_admins              = [aws_iam_role.persona["auditor"].arn]
  allow_external_data_filtering = false
}

# ---------------------------------------------------------------------------------
# Registered locations: Lake Formation vends credentials for the zone buckets
# through this role (not the service-linked role), so its rights are reviewable here.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "data_access" {
  name                 = "${var.context.name_prefix}-lakeformation-data-access"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Lake Formation data access to the registered zone buckets"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lakeformation.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:SetContext", "sts:SetSourceIdentity"]
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy" "data_access" {
  name = "zone-buckets"
  role = aws_iam_role.data_access.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ListZoneBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = [for z in local.zones : var.zone_bucket_arns[z]]
      },
      {
        Sid      = "ReadWriteZoneObjects"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = [for z in local.zones : "${var.zone_bucket_arns[z]}/*"]
      },
    ]
  })
}

resource "aws_lakeformation_resource" "this" {
  for_each = toset(local.zones)

  arn                     = var.zone_bucket_arns[each.key]
  role_arn                = aws_iam_role.data_access.arn
  use_service_linked_role = false
  hybrid_access_enabled   = false

  depends_on = [aws_iam_role_policy.data_access]
}

# ---------------------------------------------------------------------------------
# LF-tags and their assignment.
# ---------------------------------------------------------------------------------
resource "aws_lakeformation_lf_tag" "this" {
  for_each = local.lf_tags

  key    = each.key
  values = each.value

  depends_on = [aws_lakeformation_data_lake_settings.this]
}

# Databases default to phi: a table nobody classified is treated as PHI.
resource "aws_lakeformation_resource_lf_tags" "database" {
  for_each = var.database_names

  database {
    name = each.value
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["zone"].key
    value = each.key
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["data_classification"].key
    value = "phi"
  }
}

resource "aws_lakeformation_resource_lf_tags" "table" {
  for_each = local.tables

  table {
    database_name = each.value.database_name
    name          = each.value.name
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["data_classification"].key
    value = each.value.data_classification
  }

  dynamic "lf_tag" {
    for_each = contains(local.coordinator_tables, each.key) ? ["care_coordination"] : []

    content {
      key   = aws_lakeformation_lf_tag.this["audience"].key
      value = lf_tag.value
    }
  }

  depends_on = [aws_lakeformation_resource_lf_tags.database]
}

# Column-level exclusion of direct identifiers: these columns are tagged phi, so a
# grant on deidentified data never includes them, whatever the table's own tag.
resource "aws_lakeformation_resource_lf_tags" "direct_identifiers" {
  for_each = local.identifier_tables

  table_with_columns {
    database_name = each.value.database_name
    name          = each.value.name
    column_names  = each.value.direct_identifier_columns
  }

  lf_tag {
    key   = aws_lakeformation_lf_tag.this["data_classification"].key
    value = "phi"
  }

  depends_on = [aws_lakeformation_resource_lf_tags.table]
}

# ---------------------------------------------------------------------------------
# Grants.
# ---------------------------------------------------------------------------------
resource "aws_lakeformation_permissions" "tag_policy" {
  for_each = local.tag_grants

  principal                     = each.value.principal
  permissions                   = each.value.permissions
  permissions_with_grant_option = []

  lf_tag_policy {
    resource_type = each.value.resource_type

    dynamic "expression" {
      for_each = each.value.expression

      content {
        key    = expression.value.key
        values = expression.value.values
      }
    }
  }

  depends_on = [aws_lakeformation_lf_tag.this]
}

resource "aws_lakeformation_permissions" "data_location" {
  for_each = local.location_grants

  principal                     = each.value.principal
  permissions                   = ["DATA_LOCATION_ACCESS"]
  permissions_with_grant_option = []

  data_location {
    arn = each.value.location
  }

  depends_on = [aws_lakeformation_resource.this]
}

# Roles that deploy views tag them (data_classification, audience) as they go.
resource "aws_lakeformation_permissions" "tag_association" {
  for_each = var.tag_associator_role_arns

  principal                     = each.value
  permissions                   = ["ASSOCIATE", "DESCRIBE"]
  permissions_with_grant_option = []

  lf_tag {
    key    = aws_lakeformation_lf_tag.this["data_classification"].key
    values = aws_lakeformation_lf_tag.this["data_classification"].values
  }
}

resource "aws_lakeformation_permissions" "audience_association" {
  for_each = var.tag_associator_role_arns

  principal                     = each.value
  permissions                   = ["ASSOCIATE", "DESCRIBE"]
  permissions_with_grant_option = []

  lf_tag {
    key    = aws_lakeformation_lf_tag.this["audience"].key
    values = aws_lakeformation_lf_tag.this["audience"].values
  }
}

# QuickSight: the owner of the dashboards' data sets reads exactly the gold views and tables
# they rest on (named grants, not tags: nothing else of gold, even if tagged deidentified).
resource "aws_lakeformation_permissions" "quicksight_database" {
  count = var.quicksight == null ? 0 : 1

  principal                     = var.quicksight.principal_arn
  permissions                   = ["DESCRIBE"]
  permissions_with_grant_option = []

  database {
    name = var.database_names["gold"]
  }
}

resource "aws_lakeformation_permissions" "quicksight" {
  for_each = local.quicksight_objects

  principal                     = var.quicksight.principal_arn
  permissions                   = length(each.value) > 0 ? ["SELECT"] : ["DESCRIBE", "SELECT"]
  permissions_with_grant_option = []

  dynamic "table" {
    for_each = length(each.value) > 0 ? [] : [each.key]

    content {
      database_name = var.database_names["gold"]
      name          = table.value
    }
  }

  dynamic "table_with_columns" {
    for_each = length(each.value) > 0 ? [each.value] : []

    content {
      database_name         = var.database_names["gold"]
      name                  = each.key
      wildcard              = true
      excluded_column_names = table_with_columns.value
    }
  }

  depends_on = [aws_lakeformation_resource_lf_tags.direct_identifiers]
}

# ---------------------------------------------------------------------------------
# Persona roles: what people assume to query. Data rights come from the grants
# above; IAM adds only Athena (own workgroup and results prefix), catalog reads and
# Lake Formation credential vending, plus read-only logs for the auditor.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "persona" {
  for_each = local.personas

  name                 = "${var.context.name_prefix}-${replace(each.key, "_", "-")}"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = each.value
  max_session_duration = 3600
  # Only the named principals, only with MFA, and only when the session names the person
  # (sts:SourceIdentity, which CloudTrail records on every call the session makes).
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "NamedPeopleWithMfaAndSourceIdentity"
      Effect    = "Allow"
      Principal = { AWS = var.persona_trusted_principal_arns[each.key] }
      Action    = ["sts:AssumeRole", "sts:SetSourceIdentity"]
      Condition = {
        Bool = { "aws:MultiFactorAuthPresent" = "true" }
        Null = { "sts:SourceIdentity" = "false" }
      }
    }]
  })

  tags = {
    Persona            = each.key
    DataClassification = each.key == "auditor" ? "non-phi" : "phi"
  }
}

resource "aws_iam_role_policy" "persona_query" {
  for_each = local.personas

  name = "query"
  role = aws_iam_role.persona[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "OwnAthenaWorkgroup"
        Effect = "Allow"
        Action = [
          "athena:BatchGetQueryExecution",
          "athena:GetQueryExecution",
          "athena:GetQueryResults",
          "athena:GetWorkGroup",
          "athena:ListQueryExecutions",
          "athena:StartQueryExecution",
          "athena:StopQueryExecution",
        ]
        Resource = var.athena_workgroups[each.key].arn
      },
      {
        Sid      = "ListAthenaCatalogs"
        Effect   = "Allow"
        Action   = ["athena:ListDataCatalogs", "athena:ListWorkGroups"]
        Resource = "*"
      },
      {
        Sid    = "ReadCatalog"
        Effect = "Allow"
        Action = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"]
        Resource = concat(
          ["${local.glue_arn}:catalog"],
          [for d in values(var.database_names) : "${local.glue_arn}:database/${d}"],
          [for d in values(var.database_names) : "${local.glue_arn}:table/${d}/*"],
        )
      },
      {
        Sid      = "LakeFormationCredentialVending"
        Effect   = "Allow"
        Action   = "lakeformation:GetDataAccess"
        Resource = "*"
      },
      {
        Sid      = "OwnQueryResultsList"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = "arn:${var.context.partition}:s3:::${local.workgroup_locations[each.key].bucket}"
        Condition = {
          StringLike = { "s3:prefix" = ["${local.workgroup_locations[each.key].prefix}*"] }
        }
      },
      {
        Sid      = "OwnQueryResults"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
        Resource = "arn:${var.context.partition}:s3:::${local.workgroup_locations[each.key].bucket}/${local.workgroup_locations[each.key].prefix}*"
      },
    ]
  })
}

resource "aws_iam_role_policy" "data_engineer_operate" {
  name = "operate-pipeline"
  role = aws_iam_role.persona["data_engineer"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "RunAndInspectJobs"
      Effect = "Allow"
      Action = [
        "glue:BatchStopJobRun",
        "glue:GetJob",
        "glue:GetJobRun",
        "glue:GetJobRuns",
        "glue:GetWorkflow",
        "glue:GetWorkflowRun",
        "glue:GetWorkflowRuns",
        "glue:ResumeWorkflowRun",
        "glue:StartJobRun",
        "glue:StartWorkflowRun",
      ]
      Resource = [
        "${local.glue_arn}:job/${var.context.name_prefix}-*",
        "${local.glue_arn}:workflow/${var.context.name_prefix}-*",
      ]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.persona["auditor"].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/SecurityAudit"
}

resource "aws_iam_role_policy" "auditor_logs" {
  name = "read-logs"
  role = aws_iam_role.persona["auditor"].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadLogBuckets"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]
        Resource = flatten([for arn in var.audit_log_bucket_arns : [arn, "${arn}/*"]])
      },
      {
        Sid    = "ReadLogGroups"
        Effect = "Allow"
        Action = [
          "logs:DescribeLogGroups",
          "logs:DescribeLogStreams",
          "logs:FilterLogEvents",
          "logs:GetLogEvents",
          "logs:GetQueryResults",
          "logs:StartQuery",
          "logs:StopQuery",
        ]
        Resource = "arn:${var.context.partition}:logs:${var.context.region}:${var.context.account_id}:log-group:*"
      },
      {
        Sid      = "ReadTrails"
        Effect   = "Allow"
        Action   = ["cloudtrail:GetEventSelectors", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus"]
        Resource = "arn:${var.context.partition}:cloudtrail:*:${var.context.account_id}:trail/*"
      },
      # LookupEvents supports no resource-level permissions.
      {
        Sid      = "LookupEvents"
        Effect   = "Allow"
        Action   = "cloudtrail:LookupEvents"
        Resource = "*"
      },
    ]
  })
}
