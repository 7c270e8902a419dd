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
}

run "prod_refuses_weakening" {
  command = plan

  variables {
    force_destroy               = true
    raw_object_lock_enabled     = false
    deletion_protection_enabled = false
    local_artifacts_dir         = "/tmp/dist"
  }

  expect_failures = [
    var.force_destroy,
    var.raw_object_lock_enabled,
    var.deletion_protection_enabled,
    var.local_artifacts_dir,
  ]
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
}
