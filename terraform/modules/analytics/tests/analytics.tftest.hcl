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
  athena_results_bucket_name = "carelake-dev-athena-results-111122223333"
  sql_dir                    = "tests/fixtures/sql"
  views_database_name        = "carelake_dev_gold"
  database_names             = ["carelake_dev_silver", "carelake_dev_gold"]
  phi_kms_key_arn            = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  logs_kms_key_arn           = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
}

run "workgroups_enforced_encrypted_capped" {
  command = plan

  assert {
    condition     = toset(keys(aws_athena_workgroup.this)) == toset(["data_engineer", "analyst", "care_coordinator", "auditor", "pipeline"])
    error_message = "Every persona and the pipeline must have a workgroup."
  }

  assert {
    condition = alltrue([
      for p, w in aws_athena_workgroup.this :
      one(w.configuration).enforce_workgroup_configuration
      && one(one(w.configuration).result_configuration).output_location == "s3://carelake-dev-athena-results-111122223333/${p}/"
      && one(one(one(w.configuration).result_configuration).encryption_configuration).encryption_option == "SSE_KMS"
      && one(one(one(w.configuration).result_configuration).encryption_configuration).kms_key_arn == var.phi_kms_key_arn
      && one(w.configuration).bytes_scanned_cutoff_per_query == 107374182400
    ])
    error_message = "Workgroups must enforce SSE-KMS results under their own prefix and cap bytes scanned."
  }
}

run "sql_deployed_in_dependency_order_with_tags" {
  command = plan

  assert {
    condition     = jsonencode(output.sql_view_levels) == jsonencode([["outreach_worklist", "readmissions_by_clinic", "unlabelled"], ["readmissions_ranked"]])
    error_message = "A view must be deployed after the views it reads."
  }

  assert {
    condition     = output.sql_view_classifications == { outreach_worklist = "phi", readmissions_by_clinic = "deidentified", readmissions_ranked = "deidentified", unlabelled = "phi" }
    error_message = "Views take their header's classification and default to phi."
  }

  assert {
    condition     = keys(jsondecode(aws_sfn_state_machine.this.definition).States) == ["Done", "Statements", "Views0", "Views1"]
    error_message = "The state machine must run each view level (the tables are Terraform's)."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Next == "Views0"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Views0.Next == "Views1"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Views1.Next == "Done"
    )
    error_message = "Stages must run in order."
  }

  assert {
    condition = startswith(
      [for v in jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.views[0] : v.sql if v.name == "readmissions_by_clinic"][0],
      "CREATE OR REPLACE VIEW readmissions_by_clinic AS\n-- grain"
    )
    error_message = "A query-only file must be wrapped in CREATE OR REPLACE VIEW <file name>."
  }

  assert {
    condition     = strcontains([for v in jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.views[0] : v.sql if v.name == "readmissions_by_clinic"][0], "select * from carelake_dev_gold.readmission_measure")
    error_message = "Zone schemas (gold.) must map to the environment's databases (carelake_dev_gold.)."
  }

  assert {
    condition     = !endswith([for v in jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.views[0] : v.sql if v.name == "readmissions_by_clinic"][0], ";")
    error_message = "Trailing semicolons must be stripped (Athena takes one statement)."
  }

  assert {
    condition     = [for v in jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.views[0] : v.lf_tags if v.name == "outreach_worklist"][0] == [{ TagKey = "data_classification", TagValues = ["phi"] }, { TagKey = "audience", TagValues = ["care_coordination"] }]
    error_message = "Views must be tagged with their classification and audience."
  }

  assert {
    condition     = one(aws_sfn_state_machine.this.logging_configuration).level == "ALL" && one(aws_sfn_state_machine.this.tracing_configuration).enabled
    error_message = "The state machine must log every execution and trace."
  }
}

run "no_sql_yet" {
  command = plan

  variables {
    sql_dir = "tests/fixtures/empty"
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.this.definition).StartAt == "NothingToDeploy"
    error_message = "With no SQL the state machine must still be valid."
  }
}

run "quicksight_dashboards_data_sets_and_row_level_security" {
  command = plan

  variables {
    sql_dir = "tests/fixtures/quicksight"
    quicksight = {
      owner_arn             = "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors"
      analyst_reader_arns   = ["arn:aws:quicksight:us-east-1:111122223333:group/default/analysts"]
      care_team_reader_arns = ["arn:aws:quicksight:us-east-1:111122223333:group/default/care-coordinators"]
    }
  }

  assert {
    condition = toset(keys(aws_quicksight_data_set.this)) == toset([
      "report_readmission_by_category", "report_readmission_trend", "report_outreach_compliance_trend",
      "report_length_of_stay_trend", "report_claims_by_payer", "report_claim_denials", "report_denial_trend",
      "report_top_cost_diag", "report_cohort_outcomes", "report_procedure_patterns", "report_provider_ranking",
      "v_dq_summary", "v_care_team_worklist",
    ])
    error_message = "One SPICE data set per view the dashboards read, and no other."
  }

  assert {
    condition = alltrue([
      for v, d in aws_quicksight_data_set.this :
      d.import_mode == "SPICE" && one(one(d.physical_table_map).relational_table).schema == "carelake_dev_gold"
      && one(one(d.physical_table_map).relational_table).name == v
    ])
    error_message = "Data sets must be SPICE copies of the gold views."
  }

  assert {
    condition     = [for c in one(one(aws_quicksight_data_set.this["report_claims_by_payer"].physical_table_map).relational_table).input_columns : "${c.name}:${c.type}"] == ["year_start:DATETIME", "payer_name:STRING", "rate:DECIMAL", "claims:INTEGER", "amount:DECIMAL", "is_suppressed:BOOLEAN"]
    error_message = "Data set columns come from sql/view_columns.json, typed for QuickSight."
  }

  assert {
    condition = (
      one(aws_quicksight_data_set.this["v_care_team_worklist"].row_level_permission_data_set).permission_policy == "GRANT_ACCESS"
      && one(aws_quicksight_data_set.this["v_care_team_worklist"].row_level_permission_data_set).status == "ENABLED"
      && alltrue([for v, d in aws_quicksight_data_set.this : length(d.row_level_permission_data_set) == 0 if v != "v_care_team_worklist"])
    )
    error_message = "The per-clinic data set (it has clinic_id) must be filtered by row-level security, the aggregates not."
  }

  assert {
    condition     = startswith(one(one(aws_quicksight_data_set.rls[0].physical_table_map).custom_sql).sql_query, "select coalesce(user_name, coordinator_id) as ") && endswith(one(one(aws_quicksight_data_set.rls[0].physical_table_map).custom_sql).sql_query, ", clinic_id from carelake_dev_gold.care_team_assignment") && [for c in one(one(aws_quicksight_data_set.rls[0].physical_table_map).custom_sql).columns : c.name] == ["UserName", "clinic_id"]
    error_message = "Row-level security rules must come from gold.care_team_assignment: a coordinator's user name and clinic."
  }

  assert {
    condition = (
      length(aws_quicksight_refresh_schedule.this) == 14
      && alltrue([for s in aws_quicksight_refresh_schedule.this : one(s.schedule).refresh_type == "FULL_REFRESH" && one(one(s.schedule).schedule_frequency).interval == "DAILY" && one(one(s.schedule).schedule_frequency).time_of_the_day == "07:00"])
    )
    error_message = "Every data set and the RLS rules must refresh daily."
  }

  assert {
    condition     = toset(keys(aws_quicksight_dashboard.this)) == toset(["analyst", "care_team"]) && length(one(aws_quicksight_analysis.this["analyst"].definition).sheets[0].visuals) == 13
    error_message = "Both dashboards, the analyst one with the 13 charts of the local page."
  }

  assert {
    condition = (
      one(one(aws_quicksight_dashboard.this["care_team"].dashboard_publish_options).export_to_csv_option).availability_status == "DISABLED"
      && contains([for p in aws_quicksight_dashboard.this["care_team"].permissions : p.principal], "arn:aws:quicksight:us-east-1:111122223333:group/default/care-coordinators")
      && contains([for p in aws_quicksight_dashboard.this["care_team"].permissions : p.principal], "arn:aws:quicksight:us-east-1:111122223333:group/default/analysts") == false
      && aws_quicksight_dashboard.this["care_team"].tags.DataClassification == "phi"
    )
    error_message = "The care-team dashboard is PHI: its own readers, no CSV export."
  }

  assert {
    condition = output.quicksight_glue_table_names == sort([
      "report_readmission_by_category", "report_readmission_trend", "report_outreach_compliance_trend",
      "report_length_of_stay_trend", "report_claims_by_payer", "report_claim_denials", "report_denial_trend",
      "report_top_cost_diag", "report_cohort_outcomes", "report_procedure_patterns", "report_provider_ranking",
      "v_dq_summary", "v_care_team_worklist", "v_readmission_rates", "v_readmission_index_stays",
      "v_outreach_discharges", "v_claims_by_payer", "v_claim_denials", "fact_encounter", "fact_outreach",
      "fact_claim", "dim_payer", "dim_denial_reason", "patient_cohort", "fact_procedure", "provider_treatment_rank",
      "dq_summary", "care_team_assignment", "care_team_worklist",
    ])
    error_message = "QuickSight reads exactly its views, the views under them, their gold tables and the RLS table (not v_unused or what it reads)."
  }

  assert {
    condition     = one(one(aws_quicksight_data_source.this[0].parameters).athena).work_group == "carelake-dev-analyst"
    error_message = "QuickSight must query through the analyst workgroup."
  }
}

run "quicksight_waits_for_the_views" {
  command = plan

  variables {
    quicksight = {
      owner_arn = "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors"
    }
  }

  assert {
    condition     = length(aws_quicksight_dashboard.this) == 0 && length(aws_quicksight_data_set.this) == 0 && length(aws_quicksight_data_set.rls) == 0
    error_message = "A dashboard is built only when every view it reads is deployed."
  }
}

run "rejects_wildcard_quicksight_readers" {
  command = plan

  variables {
    quicksight = {
      owner_arn           = "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors"
      analyst_reader_arns = ["arn:aws:quicksight:us-east-1:111122223333:group/default/*"]
    }
  }

  expect_failures = [var.quicksight]
}
