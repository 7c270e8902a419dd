# The prod guardrails of the platform. Variable validations fail before any resource
# is planned, so this costs one provider start.
mock_provider "aws" {}

variables {
  environment                     = "prod"
  account_id                      = "111122223333"
  owner                           = "platform-team@carelake.example"
  cost_center                     = "CC-4100-DATA"
  availability_zones              = ["us-east-1a", "us-east-1b"]
  key_administrator_role_names    = ["carelake-platform-admin"]
  lake_formation_admin_role_names = ["carelake-platform-admin"]
  github_repository               = "example-org/carelake"
  runbook_base_url                = "https://example.org/runbook.md"
  artifact_version                = "1.2.3"
  persona_trusted_role_names = {
    data_engineer    = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataEngineer_0123"]
    analyst          = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_Analyst_0123"]
    care_coordinator = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CareTeam_0123"]
    auditor          = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_Auditor_0123"]
  }
  break_glass_role_names = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_BreakGlass_0123"]
  intake_domain_name     = "intake.example.org"
  intake_route53_zone_id = "Z0123456789EXAMPLE"
  care_team_assignments  = [{ coordinator_id = "cm-001", clinic_id = "3d10019f-c88e-3de5-9916-6107b9c0263d" }]
}

run "prod_refuses_weakening" {
  command = plan

  variables {
    force_destroy               = true
    raw_object_lock_enabled     = false
    deletion_protection_enabled = false
    local_artifacts_dir         = "/tmp/dist"
    backup_vault_lock_mode      = "governance"
  }

  expect_failures = [
    var.force_destroy,
    var.raw_object_lock_enabled,
    var.deletion_protection_enabled,
    var.local_artifacts_dir,
    var.backup_vault_lock_mode,
  ]
}

run "refuses_a_persona_open_to_the_account" {
  command = plan

  variables {
    raw_object_lock_enabled = true # a valid prod otherwise
    persona_trusted_role_names = {
      data_engineer    = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataEngineer_0123"]
      analyst          = []
      care_coordinator = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CareTeam_0123"]
      auditor          = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_Auditor_0123"]
    }
    break_glass_role_names = []
  }

  expect_failures = [var.persona_trusted_role_names, var.break_glass_role_names]
}

run "refuses_switching_a_control_off_by_delegating_it_to_this_account" {
  command = plan

  variables {
    raw_object_lock_enabled                 = true # a valid prod otherwise
    detective_controls_delegated_to         = { guardduty = "111122223333", macie = "210987654321" }
    backup_delegated_to_security_account_id = "111122223333"
  }

  expect_failures = [var.detective_controls_delegated_to, var.backup_delegated_to_security_account_id]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "staging"
  }

  expect_failures = [var.environment]
}

run "dev_platform_from_one_zone_list" {
  command = plan

  variables {
    environment   = "dev"
    force_destroy = true
  }

  assert {
    condition     = keys(output.zone_s3_uris) == keys(output.glue_catalog_database_names)
    error_message = "The catalog's databases must be the data lake's zones."
  }

  assert {
    condition     = output.detective_controls == { guardduty = "managed here", securityhub = "managed here", config = "managed here", macie = "managed here", access_analyzer = "managed here" } && output.backup_control == "managed here"
    error_message = "Without a delegation every detective control and the backups are managed by the platform."
  }

  assert {
    condition     = output.intake_api_url == "https://intake.example.org/"
    error_message = "The intake API is served on its custom domain only."
  }
}

run "one_risk_threshold_from_the_manifest" {
  command = plan

  variables {
    environment   = "dev"
    force_destroy = true
  }

  assert {
    condition     = local.risk_threshold == tonumber(yamldecode(file("../../../jobs/src/carelake/manifest.yaml")).jobs.silver_to_gold.default_arguments.risk_threshold)
    error_message = "Without an override the threshold is silver_to_gold's default argument in the manifest."
  }

  assert {
    condition     = local.job_arguments["risk_threshold"] == tostring(local.risk_threshold) && local.job_arguments["care_team_assignment_uri"] == "s3://carelake-dev-artifacts-111122223333/carelake/config/care_team_assignment.jsonl"
    error_message = "The Glue jobs get the same threshold and the care team assignment file."
  }
}

run "one_risk_threshold_overridden_once" {
  command = plan

  variables {
    environment    = "dev"
    force_destroy  = true
    risk_threshold = 13
  }

  assert {
    condition     = local.risk_threshold == 13 && local.job_arguments["risk_threshold"] == "13"
    error_message = "risk_threshold feeds the gold job's argument (and, as local.risk_threshold, the risk_alert Lambda)."
  }
}

run "refuses_a_second_way_to_set_the_threshold" {
  command = plan

  variables {
    environment         = "dev"
    extra_job_arguments = { risk_threshold = "8" }
  }

  expect_failures = [var.extra_job_arguments]
}
