# QuickSight as code (when var.quicksight is set; it needs an Enterprise subscription):
# the analyst dashboard and the care-team dashboard of the local pages (docs/dashboard.md),
# their visuals declared once in quicksight_dashboards.json. Each dashboard is an analysis,
# a template made from it and a dashboard made from the template, over SPICE data sets of
# the views it reads (their columns from sql/view_columns.json), refreshed daily after the
# gold job. A data set with a clinic_id column is filtered per clinic by row-level security
# from the gold table coordinators -> clinics (quicksight.rls_table_name): a coordinator
# sees the rows of the clinics assigned to them, nobody else sees any. A dashboard is built
# once every view it reads is deployed (the care team's worklist view may come later).
locals {
  qs_enabled = var.quicksight != null
  qs_prefix  = var.context.name_prefix
  qs_spec    = jsondecode(file("${path.module}/quicksight_dashboards.json"))

  view_columns = fileexists("${var.sql_dir}/view_columns.json") ? jsondecode(file("${var.sql_dir}/view_columns.json")) : {}

  qs_dashboards = {
    for d, spec in local.qs_spec : d => spec
    if local.qs_enabled && alltrue([for v in spec.visuals : contains(keys(local.view_columns), v.data_set) && contains(keys(local.view_sql), v.data_set)])
  }

  # Every visual with every key present, so the dynamic blocks below can read them all.
  qs_visual_defaults = { orientation = "VERTICAL", arrangement = "CLUSTERED", category = null, date_category = null, colors = null, values = [], bars = [], lines = [], columns = [], filters = [] }
  qs_visuals         = { for d, spec in local.qs_dashboards : d => [for v in spec.visuals : merge(local.qs_visual_defaults, v)] }

  qs_types = { varchar = "STRING", char = "STRING", string = "STRING", integer = "INTEGER", int = "INTEGER", bigint = "INTEGER", smallint = "INTEGER", tinyint = "INTEGER", double = "DECIMAL", real = "DECIMAL", decimal = "DECIMAL", date = "DATETIME", timestamp = "DATETIME", boolean = "BOOLEAN" }

  qs_data_sets = {
    for v in distinct(flatten([for d, spec in local.qs_dashboards : [for x in spec.visuals : x.data_set]])) : v => {
      id            = "${local.qs_prefix}-${replace(v, "_", "-")}"
      columns       = [for c in local.view_columns[v] : { name = c.name, type = local.qs_types[split("(", c.type)[0]] }]
      is_per_clinic = contains([for c in local.view_columns[v] : c.name], "clinic_id")
    }
  }
  qs_rls_enabled = anytrue([for v in values(local.qs_data_sets) : v.is_per_clinic])

  # What the QuickSight owner reads through Athena: the data sets' views, the views those read,
  # and the gold tables under them (Athena views are not definer views), plus the RLS table.
  qs_views_0 = toset(keys(local.qs_data_sets))
  qs_views_1 = setunion(local.qs_views_0, flatten([for v in local.qs_views_0 : local.view_deps[v]]))
  qs_views_2 = setunion(local.qs_views_1, flatten([for v in local.qs_views_1 : local.view_deps[v]]))
  qs_views_3 = setunion(local.qs_views_2, flatten([for v in local.qs_views_2 : local.view_deps[v]]))
  qs_views_4 = setunion(local.qs_views_3, flatten([for v in local.qs_views_3 : local.view_deps[v]]))
  qs_gold    = "${local.database_prefix}_gold"
  qs_tables = toset(concat(
    [for v in local.qs_views_4 : v],
    flatten([for v in local.qs_views_4 : [for m in regexall("\\b${local.qs_gold}\\.([a-z0-9_]+)", local.view_sql[v]) : m[0] if !contains(keys(local.view_sql), m[0])]]),
    local.qs_rls_enabled ? [var.quicksight.rls_table_name] : [],
  ))

  qs_owner_data_set_actions = [
    "quicksight:CancelIngestion",
    "quicksight:CreateIngestion",
    "quicksight:DeleteDataSet",
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:PassDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions",
  ]
  qs_owner_analysis_actions = [
    "quicksight:DeleteAnalysis",
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysis",
    "quicksight:UpdateAnalysisPermissions",
  ]
  qs_owner_template_actions = [
    "quicksight:DeleteTemplate",
    "quicksight:DescribeTemplate",
    "quicksight:DescribeTemplatePermissions",
    "quicksight:UpdateTemplate",
    "quicksight:UpdateTemplatePermissions",
  ]
  qs_owner_dashboard_actions = [
    "quicksight:DeleteDashboard",
    "quicksight:DescribeDashboard",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
  ]
  qs_reader_dashboard_actions = ["quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"]
  qs_readers                  = local.qs_enabled ? { analyst = var.quicksight.analyst_reader_arns, care_team = var.quicksight.care_team_reader_arns } : {}
}

resource "aws_quicksight_data_source" "this" {
  count = local.qs_enabled ? 1 : 0

  data_source_id = "${local.qs_prefix}-athena"
  name           = "${local.qs_prefix} Athena"
  type           = "ATHENA"

  parameters {
    athena {
      work_group = aws_athena_workgroup.this["analyst"].name
    }
  }

  ssl_properties {
    disable_ssl = false
  }

  permission {
    principal = var.quicksight.owner_arn
    actions = [
      "quicksight:DeleteDataSource",
      "quicksight:DescribeDataSource",
      "quicksight:DescribeDataSourcePermissions",
      "quicksight:PassDataSource",
      "quicksight:UpdateDataSource",
      "quicksight:UpdateDataSourcePermissions",
    ]
  }

  tags = {
    DataClassification = "phi"
  }
}

# Row-level security: one rule per coordinator and clinic. A coordinator's QuickSight user
# name is the assignment's user_name (their sign-in), else their coordinator_id; a user with
# no rule sees no row.
resource "aws_quicksight_data_set" "rls" {
  count = local.qs_rls_enabled ? 1 : 0

  data_set_id = "${local.qs_prefix}-clinic-access"
  name        = "${local.qs_prefix} clinic access (row-level security from ${var.quicksight.rls_table_name})"
  import_mode = "SPICE"

  physical_table_map {
    physical_table_map_id = "clinicaccess"

    custom_sql {
      data_source_arn = aws_quicksight_data_source.this[0].arn
      name            = "clinic_access"
      sql_query       = "select coalesce(user_name, coordinator_id) as \"UserName\", clinic_id from ${local.qs_gold}.${var.quicksight.rls_table_name}"

      columns {
        name = "UserName"
        type = "STRING"
      }

      columns {
        name = "clinic_id"
        type = "STRING"
      }
    }
  }

  permissions {
    principal = var.quicksight.owner_arn
    actions   = local.qs_owner_data_set_actions
  }

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_quicksight_data_set" "this" {
  for_each = local.qs_data_sets

  data_set_id = each.value.id
  name        = "${local.qs_prefix} ${each.key}"
  import_mode = "SPICE"

  physical_table_map {
    physical_table_map_id = replace(each.key, "_", "")

    relational_table {
      data_source_arn = aws_quicksight_data_source.this[0].arn
      catalog         = "AwsDataCatalog"
      schema          = var.views_database_name
      name            = each.key

      dynamic "input_columns" {
        for_each = each.value.columns

        content {
          name = input_columns.value.name
          type = input_columns.value.type
        }
      }
    }
  }

  dynamic "row_level_permission_data_set" {
    for_each = each.value.is_per_clinic ? [aws_quicksight_data_set.rls[0].arn] : []

    content {
      arn               = row_level_permission_data_set.value
      permission_policy = "GRANT_ACCESS"
      format_version    = "VERSION_2"
      status            = "ENABLED"
    }
  }

  permissions {
    principal = var.quicksight.owner_arn
    actions   = local.qs_owner_data_set_actions
  }

  tags = {
    DataClassification = each.value.is_per_clinic ? "phi" : "non-phi"
  }
}

# SPICE is refreshed daily, after the gold job (var.quicksight.refresh_time_of_day).
resource "aws_quicksight_refresh_schedule" "this" {
  for_each = merge(
    { for v, d in aws_quicksight_data_set.this : v => d.data_set_id },
    local.qs_rls_enabled ? { clinic_access = aws_quicksight_data_set.rls[0].data_set_id } : {},
  )

  data_set_id = each.value
  schedule_id = "${each.value}-daily"

  schedule {
    refresh_type = "FULL_REFRESH"

    schedule_frequency {
      interval        = "DAILY"
      time_of_the_day = var.quicksight.refresh_time_of_day
      timezone        = var.quicksight.refresh_timezone
    }
  }
}

resource "aws_quicksight_analysis" "this" {
  for_each = local.qs_dashboards

  analysis_id = "${local.qs_prefix}-${replace(each.key, "_", "-")}"
  name        = "${each.value.name} (${var.context.environment})"

  definition {
    dynamic "data_set_identifiers_declarations" {
      for_each = toset([for v in each.value.visuals : v.data_set])

      content {
        identifier   = data_set_identifiers_declarations.value
        data_set_arn = aws_quicksight_data_set.this[data_set_identifiers_declarations.value].arn
      }
    }

    sheets {
      sheet_id = each.key
      name     = each.value.name
      title    = each.value.name

      dynamic "visuals" {
        for_each = local.qs_visuals[each.key]

        content {
          dynamic "bar_chart_visual" {
            for_each = visuals.value.kind == "bar" ? [visuals.value] : []

            content {
              visual_id = bar_chart_visual.value.id

              title {
                format_text {
                  plain_text = bar_chart_visual.value.title
                }
              }

              chart_configuration {
                orientation      = bar_chart_visual.value.orientation
                bars_arrangement = bar_chart_visual.value.arrangement

                field_wells {
                  bar_chart_aggregated_field_wells {
                    category {
                      categorical_dimension_field {
                        field_id = "${bar_chart_visual.value.id}.${bar_chart_visual.value.category}"
                        column {
                          data_set_identifier = bar_chart_visual.value.data_set
                          column_name         = bar_chart_visual.value.category
                        }
                      }
                    }

                    dynamic "colors" {
                      for_each = bar_chart_visual.value.colors == null ? [] : [bar_chart_visual.value.colors]

                      content {
                        categorical_dimension_field {
                          field_id = "${bar_chart_visual.value.id}.${colors.value}"
                          column {
                            data_set_identifier = bar_chart_visual.value.data_set
                            column_name         = colors.value
                          }
                        }
                      }
                    }

                    dynamic "values" {
                      for_each = bar_chart_visual.value.values

                      content {
                        numerical_measure_field {
                          field_id = "${bar_chart_visual.value.id}.${values.value.column}"
                          column {
                            data_set_identifier = bar_chart_visual.value.data_set
                            column_name         = values.value.column
                          }
                          aggregation_function {
                            simple_numerical_aggregation = values.value.aggregation
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }

          dynamic "pie_chart_visual" {
            for_each = visuals.value.kind == "pie" ? [visuals.value] : []

            content {
              visual_id = pie_chart_visual.value.id

              title {
                format_text {
                  plain_text = pie_chart_visual.value.title
                }
              }

              chart_configuration {
                field_wells {
                  pie_chart_aggregated_field_wells {
                    category {
                      categorical_dimension_field {
                        field_id = "${pie_chart_visual.value.id}.${pie_chart_visual.value.category}"
                        column {
                          data_set_identifier = pie_chart_visual.value.data_set
                          column_name         = pie_chart_visual.value.category
                        }
                      }
                    }

                    dynamic "values" {
                      for_each = pie_chart_visual.value.values

                      content {
                        numerical_measure_field {
                          field_id = "${pie_chart_visual.value.id}.${values.value.column}"
                          column {
                            data_set_identifier = pie_chart_visual.value.data_set
                            column_name         = values.value.column
                          }
                          aggregation_function {
                            simple_numerical_aggregation = values.value.aggregation
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }

          # Trends: the volume as bars, the rates as lines, on a yearly date axis.
          dynamic "combo_chart_visual" {
            for_each = visuals.value.kind == "combo" ? [visuals.value] : []

            content {
              visual_id = combo_chart_visual.value.id

              title {
                format_text {
                  plain_text = combo_chart_visual.value.title
                }
              }

              chart_configuration {
                field_wells {
                  combo_chart_aggregated_field_wells {
                    category {
                      date_dimension_field {
                        field_id         = "${combo_chart_visual.value.id}.${combo_chart_visual.value.date_category}"
                        date_granularity = "YEAR"
                        column {
                          data_set_identifier = combo_chart_visual.value.data_set
                          column_name         = combo_chart_visual.value.date_category
                        }
                      }
                    }

                    dynamic "bar_values" {
                      for_each = combo_chart_visual.value.bars

                      content {
                        numerical_measure_field {
                          field_id = "${combo_chart_visual.value.id}.${bar_values.value.column}"
                          column {
                            data_set_identifier = combo_chart_visual.value.data_set
                            column_name         = bar_values.value.column
                          }
                          aggregation_function {
                            simple_numerical_aggregation = bar_values.value.aggregation
                          }
                        }
                      }
                    }

                    dynamic "line_values" {
                      for_each = combo_chart_visual.value.lines

                      content {
                        numerical_measure_field {
                          field_id = "${combo_chart_visual.value.id}.${line_values.value.column}"
                          column {
                            data_set_identifier = combo_chart_visual.value.data_set
                            column_name         = line_values.value.column
                          }
                          aggregation_function {
                            simple_numerical_aggregation = line_values.value.aggregation
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }

          dynamic "table_visual" {
            for_each = visuals.value.kind == "table" ? [visuals.value] : []

            content {
              visual_id = table_visual.value.id

              title {
                format_text {
                  plain_text = table_visual.value.title
                }
              }

              chart_configuration {
                field_wells {
                  table_unaggregated_field_wells {
                    dynamic "values" {
                      for_each = table_visual.value.columns

                      content {
                        field_id = "${table_visual.value.id}.${values.value}"
                        column {
                          data_set_identifier = table_visual.value.data_set
                          column_name         = values.value
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }

    # A visual's rows, as the local page filters them (e.g. denials over every month: 'All').
    dynamic "filter_groups" {
      for_each = [for v in local.qs_visuals[each.key] : v if length(v.filters) > 0]

      content {
        filter_group_id = "${filter_groups.value.id}-rows"
        cross_dataset   = "SINGLE_DATASET"
        status          = "ENABLED"

        dynamic "filters" {
          for_each = filter_groups.value.filters

          content {
            category_filter {
              filter_id = "${filter_groups.value.id}-${filters.value.column}"
              column {
                data_set_identifier = filter_groups.value.data_set
                column_name         = filters.value.column
              }
              configuration {
                filter_list_configuration {
                  match_operator  = filters.value.operator
                  category_values = [filters.value.value]
                }
              }
            }
          }
        }

        scope_configuration {
          selected_sheets {
            sheet_visual_scoping_configurations {
              sheet_id   = each.key
              scope      = "SELECTED_VISUALS"
              visual_ids = [filter_groups.value.id]
            }
          }
        }
      }
    }
  }

  permissions {
    principal = var.quicksight.owner_arn
    actions   = local.qs_owner_analysis_actions
  }

  tags = {
    DataClassification = each.value.classification
  }
}

resource "aws_quicksight_template" "this" {
  for_each = local.qs_dashboards

  template_id         = "${local.qs_prefix}-${replace(each.key, "_", "-")}"
  name                = "${each.value.name} (${var.context.environment})"
  version_description = "From analysis ${aws_quicksight_analysis.this[each.key].analysis_id}"

  source_entity {
    source_analysis {
      arn = aws_quicksight_analysis.this[each.key].arn

      dynamic "data_set_references" {
        for_each = toset([for v in each.value.visuals : v.data_set])

        content {
          data_set_placeholder = data_set_references.value
          data_set_arn         = aws_quicksight_data_set.this[data_set_references.value].arn
        }
      }
    }
  }

  permissions {
    principal = var.quicksight.owner_arn
    actions   = local.qs_owner_template_actions
  }

  tags = {
    DataClassification = each.value.classification
  }
}

resource "aws_quicksight_dashboard" "this" {
  for_each = local.qs_dashboards

  dashboard_id        = "${local.qs_prefix}-${replace(each.key, "_", "-")}"
  name                = "${each.value.name} (${var.context.environment})"
  version_description = "From template ${aws_quicksight_template.this[each.key].template_id}"

  source_entity {
    source_template {
      arn = aws_quicksight_template.this[each.key].arn

      dynamic "data_set_references" {
        for_each = toset([for v in each.value.visuals : v.data_set])

        content {
          data_set_placeholder = data_set_references.value
          data_set_arn         = aws_quicksight_data_set.this[data_set_references.value].arn
        }
      }
    }
  }

  # PHI stays in QuickSight: no CSV export, no export of hidden fields.
  dashboard_publish_options {
    export_to_csv_option {
      availability_status = each.value.classification == "phi" ? "DISABLED" : "ENABLED"
    }

    export_with_hidden_fields_option {
      availability_status = "DISABLED"
    }
  }

  permissions {
    principal = var.quicksight.owner_arn
    actions   = local.qs_owner_dashboard_actions
  }

  dynamic "permissions" {
    for_each = toset(local.qs_readers[each.key])

    content {
      principal = permissions.value
      actions   = local.qs_reader_dashboard_actions
    }
  }

  tags = {
    DataClassification = each.value.classification
  }
}
