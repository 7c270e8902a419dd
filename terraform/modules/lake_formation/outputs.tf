output "persona_iam_role_arns" {
  description = "Persona role ARNs: data_engineer, analyst, care_coordinator, auditor."
  value       = { for k, r in aws_iam_role.persona : k => r.arn }
}

output "data_access_iam_role_arn" {
  description = "Role Lake Formation uses to reach the registered zone buckets."
  value       = aws_iam_role.data_access.arn
}

output "lf_tag_values" {
  description = "LF-tag keys and their allowed values."
  value       = { for k, t in aws_lakeformation_lf_tag.this : k => t.values }
}

output "limited_data_set_readers" {
  description = "Who holds the limited-data-set grant, by key: principal ARN and data use agreement (for reviews)."
  value       = var.limited_data_set_readers
}

output "lakeformation_grants" {
  description = "Tag-based grants by principal/resource: permissions and tag expression (for reviews)."
  value = {
    for k, g in local.tag_grants : k => {
      resource_type = g.resource_type
      permissions   = g.permissions
      expression    = { for e in g.expression : e.key => e.values }
    }
  }
}

output "quicksight_lakeformation_grants" {
  description = "What the QuickSight owner may read in gold: object -> permissions (and the columns excluded, for tables with direct identifiers)."
  value = {
    for n, excluded in local.quicksight_objects : n => {
      permissions      = length(excluded) > 0 ? ["SELECT"] : ["DESCRIBE", "SELECT"]
      excluded_columns = excluded
    }
  }
}
