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
  managed_table_names        = ["bronze.fhir_patient", "gold.readmission_measure"]
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
    condition     = keys(jsondecode(aws_sfn_state_machine.this.definition).States) == ["Ddl", "Done", "Statements", "Views0", "Views1"]
    error_message = "The state machine must run DDL, then each view level."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.Ddl.Next == "Views0"
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
    condition = (
      length(jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.ddl) == 1
      && startswith(jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.ddl[0].sql, "-- carelake_dev_gold.clinic_access")
      && strcontains(jsondecode(aws_sfn_state_machine.this.definition).States.Statements.Result.ddl[0].sql, "carelake_dev_gold.clinic_access")
    )
    error_message = "DDL of tables Terraform manages must be skipped, and $${env} replaced."
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

run "quicksight_row_level_security" {
  command = plan

  variables {
    quicksight = {
      owner_arn           = "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors"
      dataset_table_names = ["readmission_measure"]
      rls_table_name      = "clinic_access"
    }
    catalog_tables = [
      { zone = "gold", name = "readmission_measure", columns = [{ name = "clinic_id", type = "string" }, { name = "rate", type = "decimal(5,4)" }, { name = "tags", type = "array<string>" }] },
      { zone = "gold", name = "clinic_access", columns = [{ name = "UserName", type = "string" }, { name = "clinic_id", type = "string" }] },
    ]
  }

  assert {
    condition     = one(aws_quicksight_data_set.this["readmission_measure"].row_level_permission_data_set).permission_policy == "GRANT_ACCESS"
    error_message = "Datasets must be filtered by the row-level security dataset."
  }

  assert {
    condition     = [for c in one(one(aws_quicksight_data_set.this["readmission_measure"].physical_table_map).relational_table).input_columns : "${c.name}:${c.type}"] == ["clinic_id:STRING", "rate:DECIMAL"]
    error_message = "Dataset columns come from the catalog, nested types left out."
  }

  assert {
    condition     = one(one(aws_quicksight_data_source.this[0].parameters).athena).work_group == "carelake-dev-analyst"
    error_message = "QuickSight must query through the analyst workgroup."
  }
}
