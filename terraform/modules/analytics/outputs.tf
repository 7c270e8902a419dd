output "athena_workgroups" {
  description = "Workgroup of each persona and of the pipeline: name, arn and output_location."
  value = {
    for p, w in aws_athena_workgroup.this : p => {
      name            = w.name
      arn             = local.workgroup_arns[p]
      output_location = "s3://${var.athena_results_bucket_name}/${p}/"
    }
  }
}

output "sql_deploy_sfn_state_machine_arn" {
  description = "State machine that deploys sql/views; start it after apply."
  value       = aws_sfn_state_machine.this.arn
}

output "sql_deploy_iam_role_arn" {
  description = "Role of the SQL deployment (for Lake Formation grants and the PHI key policy)."
  value       = aws_iam_role.this.arn
}

output "sql_view_levels" {
  description = "Views in deployment order: each inner list runs after the previous one."
  value       = local.view_levels
}

output "sql_view_classifications" {
  description = "data_classification LF-tag each view gets (phi unless its header says otherwise)."
  value       = local.view_classification
}

output "quicksight_dashboard_arns" {
  description = "QuickSight dashboards by page (analyst, care_team); empty without QuickSight or before the views a dashboard reads are deployed."
  value       = { for d, r in aws_quicksight_dashboard.this : d => r.arn }
}

output "quicksight_data_set_ids" {
  description = "QuickSight SPICE data sets by the view they read (and clinic_access, the row-level security rules)."
  value = merge(
    { for v, d in aws_quicksight_data_set.this : v => d.data_set_id },
    { for d in aws_quicksight_data_set.rls : "clinic_access" => d.data_set_id },
  )
}

output "quicksight_glue_table_names" {
  description = "Gold views and tables the QuickSight owner reads through Athena (its data sets' views, the views under them, their gold tables, the RLS table): what Lake Formation grants it, and nothing more."
  value       = sort(local.qs_tables)
}
