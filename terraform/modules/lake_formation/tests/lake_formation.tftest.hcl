mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111122223333:role/carelake-dev-mock"
    }
  }
}

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
  admin_arns = ["arn:aws:iam::111122223333:role/platform-admin", "arn:aws:iam::111122223333:role/carelake-dev-github-apply"]
  zone_bucket_arns = {
    raw        = "arn:aws:s3:::carelake-dev-raw-111122223333"
    bronze     = "arn:aws:s3:::carelake-dev-bronze-111122223333"
    silver     = "arn:aws:s3:::carelake-dev-silver-111122223333"
    gold       = "arn:aws:s3:::carelake-dev-gold-111122223333"
    quarantine = "arn:aws:s3:::carelake-dev-quarantine-111122223333"
  }
  database_names = {
    raw        = "carelake_dev_raw"
    bronze     = "carelake_dev_bronze"
    silver     = "carelake_dev_silver"
    gold       = "carelake_dev_gold"
    quarantine = "carelake_dev_quarantine"
  }
  tables = [
    { zone = "bronze", database_name = "carelake_dev_bronze", name = "fhir_patient", data_classification = "phi", direct_identifier_columns = ["name_family"] },
    { zone = "gold", database_name = "carelake_dev_gold", name = "readmission_measure", data_classification = "deidentified", direct_identifier_columns = ["patient_zip"] },
    { zone = "gold", database_name = "carelake_dev_gold", name = "high_risk_outreach_list", data_classification = "phi", direct_identifier_columns = ["patient_name", "phone"] },
  ]
  pipeline_role_arns       = { glue_jobs = "arn:aws:iam::111122223333:role/carelake-dev-glue-jobs" }
  tag_associator_role_arns = { sql_deploy = "arn:aws:iam::111122223333:role/carelake-dev-sql-deploy" }
  athena_workgroups = {
    data_engineer    = { arn = "arn:aws:athena:us-east-1:111122223333:workgroup/carelake-dev-data-engineer", output_location = "s3://carelake-dev-athena-results-111122223333/data_engineer/" }
    analyst          = { arn = "arn:aws:athena:us-east-1:111122223333:workgroup/carelake-dev-analyst", output_location = "s3://carelake-dev-athena-results-111122223333/analyst/" }
    care_coordinator = { arn = "arn:aws:athena:us-east-1:111122223333:workgroup/carelake-dev-care-coordinator", output_location = "s3://carelake-dev-athena-results-111122223333/care_coordinator/" }
    auditor          = { arn = "arn:aws:athena:us-east-1:111122223333:workgroup/carelake-dev-auditor", output_location = "s3://carelake-dev-athena-results-111122223333/auditor/" }
  }
  audit_log_bucket_arns = ["arn:aws:s3:::carelake-dev-audit-111122223333"]
  persona_trusted_principal_arns = {
    data_engineer    = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataEngineer_0123"]
    analyst          = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Analyst_0123"]
    care_coordinator = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_CareTeam_0123"]
    auditor          = ["arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Auditor_0123"]
  }
}

run "settings_and_locations" {
  command = plan

  assert {
    condition     = aws_lakeformation_data_lake_settings.this.admins == toset(var.admin_arns)
    error_message = "Lake Formation admins must be exactly the named admins."
  }

  assert {
    condition     = length(aws_lakeformation_resource.this) == 5 && alltrue([for r in aws_lakeformation_resource.this : !r.use_service_linked_role && !r.hybrid_access_enabled])
    error_message = "Every zone bucket must be registered with the dedicated role, Lake Formation mode only."
  }
}

run "tags_on_databases_tables_and_identifier_columns" {
  command = plan

  assert {
    condition = alltrue([
      for k, r in aws_lakeformation_resource_lf_tags.database :
      contains([for t in r.lf_tag : "${t.key}=${t.value}"], "data_classification=phi") && contains([for t in r.lf_tag : "${t.key}=${t.value}"], "zone=${k}")
    ])
    error_message = "Databases must carry their zone and default to data_classification=phi."
  }

  assert {
    condition     = [for t in aws_lakeformation_resource_lf_tags.table["carelake_dev_gold.readmission_measure"].lf_tag : t.value if t.key == "data_classification"] == ["deidentified"]
    error_message = "Tables must be tagged with their own classification."
  }

  assert {
    condition     = contains([for t in aws_lakeformation_resource_lf_tags.table["carelake_dev_gold.high_risk_outreach_list"].lf_tag : "${t.key}=${t.value}"], "audience=care_coordination")
    error_message = "The outreach list must be tagged for care coordination."
  }

  assert {
    condition     = !contains([for t in aws_lakeformation_resource_lf_tags.table["carelake_dev_gold.readmission_measure"].lf_tag : t.key], "audience")
    error_message = "Only the outreach list may be tagged for care coordination."
  }

  assert {
    condition = (
      one(aws_lakeformation_resource_lf_tags.direct_identifiers["carelake_dev_gold.readmission_measure"].table_with_columns).column_names == toset(["patient_zip"])
      && [for t in aws_lakeformation_resource_lf_tags.direct_identifiers["carelake_dev_gold.readmission_measure"].lf_tag : t.value] == ["phi"]
    )
    error_message = "Direct identifier columns must be tagged phi so de-identified grants exclude them."
  }
}

run "persona_grants" {
  command = plan

  assert {
    condition = (
      aws_lakeformation_permissions.tag_policy["analyst/tables"].permissions == toset(["DESCRIBE", "SELECT"])
      && { for e in one(aws_lakeformation_permissions.tag_policy["analyst/tables"].lf_tag_policy).expression : e.key => e.values } == { zone = toset(["gold"]), data_classification = toset(["deidentified", "non-phi"]) }
    )
    error_message = "Analysts may only SELECT gold tables tagged deidentified or non-phi (never limited-data-set)."
  }

  assert {
    condition     = contains(aws_lakeformation_lf_tag.this["data_classification"].values, "limited-data-set")
    error_message = "data_classification must have the value limited-data-set."
  }

  assert {
    condition     = length([for k in keys(aws_lakeformation_permissions.tag_policy) : k if startswith(k, "limited_data_set/")]) == 0
    error_message = "Nobody holds the limited-data-set grant by default."
  }

  assert {
    condition     = { for e in one(aws_lakeformation_permissions.tag_policy["care_coordinator/tables"].lf_tag_policy).expression : e.key => e.values } == { zone = toset(["gold"]), audience = toset(["care_coordination"]) }
    error_message = "Care coordinators may only read gold tables tagged for care coordination."
  }

  assert {
    condition = alltrue([
      for k in ["auditor/databases", "auditor/tables"] : aws_lakeformation_permissions.tag_policy[k].permissions == toset(["DESCRIBE"])
    ])
    error_message = "Auditors get metadata (DESCRIBE) only."
  }

  assert {
    condition     = aws_lakeformation_permissions.tag_policy["data_engineer/tables"].permissions == toset(["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"]) && contains(keys(aws_lakeformation_permissions.tag_policy), "glue_jobs/tables")
    error_message = "Data engineers and pipeline roles work on every zone."
  }

  assert {
    condition = alltrue([
      for k, g in aws_lakeformation_permissions.tag_policy : !contains(g.permissions, "ALL") && length(g.permissions_with_grant_option) == 0
    ])
    error_message = "No grant may be ALL or grantable."
  }

  assert {
    condition     = length([for k, g in aws_lakeformation_permissions.data_location : k if startswith(k, "analyst") || startswith(k, "care_coordinator") || startswith(k, "auditor")]) == 0
    error_message = "Only engineers and pipeline roles get data location access."
  }
}

run "persona_iam_least_privilege" {
  command = plan

  assert {
    condition = alltrue([
      for p in aws_iam_role_policy.persona_query : alltrue([
        for s in jsondecode(p.policy).Statement : !anytrue([for a in flatten([s.Action]) : a == "*" || endswith(a, ":*")])
      ])
    ])
    error_message = "Persona policies must not allow wildcard actions."
  }

  assert {
    condition = alltrue([
      for p in aws_iam_role_policy.persona_query : alltrue([
        for s in jsondecode(p.policy).Statement : !anytrue([for r in flatten([s.Resource]) : can(regex("(raw|bronze|silver|gold|quarantine)-111122223333", r))])
      ])
    ])
    error_message = "Personas must not reach zone buckets through IAM; Lake Formation vends access."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.persona_query["analyst"].policy).Statement : s.Resource if s.Sid == "OwnQueryResults"][0] == "arn:aws:s3:::carelake-dev-athena-results-111122223333/analyst/*"
    error_message = "Each persona may only read its own query results."
  }
}

run "persona_trust_named_people_with_mfa_and_source_identity" {
  command = plan

  assert {
    condition = alltrue([
      for p, r in aws_iam_role.persona : alltrue([
        for s in jsondecode(r.assume_role_policy).Statement :
        s.Effect == "Allow" && toset(flatten([s.Principal.AWS])) == toset(var.persona_trusted_principal_arns[p])
      ])
    ])
    error_message = "Each persona must trust exactly its named principals (never the account root)."
  }

  assert {
    condition = alltrue([
      for r in aws_iam_role.persona : alltrue([
        for s in jsondecode(r.assume_role_policy).Statement :
        s.Condition.Bool["aws:MultiFactorAuthPresent"] == "true" && s.Condition.Null["sts:SourceIdentity"] == "false"
      ])
    ])
    error_message = "Assuming a persona must require MFA and a source identity."
  }

  assert {
    condition     = alltrue([for r in aws_iam_role.persona : r.max_session_duration <= 3600])
    error_message = "Persona sessions must last at most one hour."
  }
}

run "rejects_a_persona_without_principals" {
  command = plan

  variables {
    persona_trusted_principal_arns = {
      data_engineer    = ["arn:aws:iam::111122223333:role/data-engineers"]
      analyst          = []
      care_coordinator = ["arn:aws:iam::111122223333:role/care-team"]
      auditor          = ["arn:aws:iam::111122223333:role/auditors"]
    }
  }

  expect_failures = [var.persona_trusted_principal_arns]
}

run "rejects_account_root_trust" {
  command = plan

  variables {
    persona_trusted_principal_arns = {
      data_engineer    = ["arn:aws:iam::111122223333:root"]
      analyst          = ["arn:aws:iam::111122223333:role/analysts"]
      care_coordinator = ["arn:aws:iam::111122223333:role/care-team"]
      auditor          = ["arn:aws:iam::111122223333:role/auditors"]
    }
  }

  expect_failures = [var.persona_trusted_principal_arns]
}

run "limited_data_set_grant_is_separate_and_named" {
  command = plan

  variables {
    limited_data_set_readers = {
      outcomes_research = { principal_arn = "arn:aws:iam::111122223333:role/carelake-dev-outcomes-research", data_use_agreement = "DUA-2025-007" }
    }
  }

  assert {
    condition = (
      aws_lakeformation_permissions.tag_policy["limited_data_set/outcomes_research/tables"].principal == "arn:aws:iam::111122223333:role/carelake-dev-outcomes-research"
      && aws_lakeformation_permissions.tag_policy["limited_data_set/outcomes_research/tables"].permissions == toset(["DESCRIBE", "SELECT"])
      && { for e in one(aws_lakeformation_permissions.tag_policy["limited_data_set/outcomes_research/tables"].lf_tag_policy).expression : e.key => e.values } == { zone = toset(["gold"]), data_classification = toset(["limited-data-set"]) }
      && aws_lakeformation_permissions.tag_policy["limited_data_set/outcomes_research/databases"].permissions == toset(["DESCRIBE"])
    )
    error_message = "A named reader gets SELECT on gold tables tagged limited-data-set only."
  }

  assert {
    condition     = { for e in one(aws_lakeformation_permissions.tag_policy["analyst/tables"].lf_tag_policy).expression : e.key => e.values }["data_classification"] == toset(["deidentified", "non-phi"])
    error_message = "A limited-data-set reader must not widen the analyst persona's grant."
  }

  assert {
    condition     = output.limited_data_set_readers["outcomes_research"].data_use_agreement == "DUA-2025-007"
    error_message = "Each limited-data-set grant names its data use agreement."
  }
}

run "limited_data_set_readers_need_a_role_and_an_agreement" {
  command = plan

  variables {
    limited_data_set_readers = {
      everyone = { principal_arn = "arn:aws:iam::111122223333:root", data_use_agreement = " " }
    }
  }

  expect_failures = [var.limited_data_set_readers]
}

run "quicksight_reads_exactly_its_objects" {
  command = plan

  variables {
    quicksight = {
      principal_arn    = "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors"
      glue_table_names = ["report_claims_by_payer", "v_claims_by_payer", "fact_claim", "high_risk_outreach_list"]
    }
  }

  assert {
    condition     = toset(keys(aws_lakeformation_permissions.quicksight)) == toset(["report_claims_by_payer", "v_claims_by_payer", "fact_claim", "high_risk_outreach_list"])
    error_message = "QuickSight must be granted exactly the objects its data sets read."
  }

  assert {
    condition = alltrue([
      for n, p in aws_lakeformation_permissions.quicksight :
      p.principal == "arn:aws:quicksight:us-east-1:111122223333:group/default/carelake-authors" && contains(p.permissions, "SELECT") && !contains(p.permissions, "ALTER") && !contains(p.permissions, "DROP")
    ])
    error_message = "QuickSight reads; it never alters or drops."
  }

  assert {
    condition = (
      one(aws_lakeformation_permissions.quicksight["high_risk_outreach_list"].table_with_columns).excluded_column_names == toset(["patient_name", "phone"])
      && length(aws_lakeformation_permissions.quicksight["high_risk_outreach_list"].table) == 0
      && one(aws_lakeformation_permissions.quicksight["fact_claim"].table).name == "fact_claim"
      && one(aws_lakeformation_permissions.quicksight["fact_claim"].table).database_name == "carelake_dev_gold"
    )
    error_message = "A table with direct identifiers is granted without them (direct identifiers never reach QuickSight)."
  }

  assert {
    condition     = one(aws_lakeformation_permissions.quicksight_database[0].database).name == "carelake_dev_gold" && aws_lakeformation_permissions.quicksight_database[0].permissions == toset(["DESCRIBE"])
    error_message = "QuickSight may describe the gold database only."
  }
}

run "no_quicksight_no_grants" {
  command = plan

  assert {
    condition     = length(aws_lakeformation_permissions.quicksight) == 0 && length(aws_lakeformation_permissions.quicksight_database) == 0
    error_message = "Without QuickSight, nothing is granted to it."
  }
}
