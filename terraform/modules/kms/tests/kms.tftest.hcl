mock_provider "aws" {}

variables {
  context = {
    project     = "carelake"
    environment = "dev"
    name_prefix = "carelake-dev"
    account_id  = "111122223333"
    region      = "us-east-1"
    partition   = "aws"
  }
  key_administrator_arns = ["arn:aws:iam::111122223333:role/platform-admin"]
  deployer_arns          = ["arn:aws:iam::111122223333:role/carelake-dev-github-apply"]
  key_user_arns = {
    phi       = ["arn:aws:iam::111122223333:role/carelake-dev-glue-jobs"]
    logs      = ["arn:aws:iam::111122223333:role/carelake-dev-glue-jobs"]
    artifacts = ["arn:aws:iam::111122223333:role/carelake-dev-glue-jobs"]
  }
  phi_via_service_user_arns = ["arn:aws:iam::111122223333:role/carelake-dev-analyst"]
}

run "keys_rotate_and_are_tagged" {
  command = plan

  assert {
    condition     = length(aws_kms_key.this) == 3 && alltrue([for k in aws_kms_key.this : k.enable_key_rotation])
    error_message = "Every key (phi, logs, artifacts) must have rotation on."
  }

  assert {
    condition     = alltrue([for k in aws_kms_key.this : k.deletion_window_in_days == 30 && !k.multi_region])
    error_message = "Keys must be single-region with a 30-day deletion window by default."
  }

  assert {
    condition     = aws_kms_key.this["phi"].tags.DataClassification == "phi" && aws_kms_key.this["logs"].tags.DataClassification == "non-phi"
    error_message = "Keys must carry their DataClassification tag."
  }

  assert {
    condition     = aws_kms_alias.this["phi"].name == "alias/carelake-dev-phi"
    error_message = "Aliases must be alias/<name_prefix>-<class>."
  }
}

run "key_policies_name_their_users" {
  command = plan

  # The account root administers the key but can never encrypt or decrypt, so no IAM
  # policy alone can grant PHI access.
  assert {
    condition = alltrue([
      for k, p in aws_kms_key.this : alltrue([
        for s in jsondecode(p.policy).Statement :
        !contains(flatten([s.Action]), "kms:Decrypt") if contains(flatten([try(s.Principal.AWS, [])]), "arn:aws:iam::111122223333:root")
      ])
    ])
    error_message = "The account root must not be allowed to decrypt with any key."
  }

  assert {
    condition = alltrue([
      for k, p in aws_kms_key.this : alltrue([
        for s in jsondecode(p.policy).Statement : !contains(flatten([try(s.Principal.AWS, [])]), "*") && try(s.Principal, "") != "*"
      ])
    ])
    error_message = "No key policy statement may have a wildcard principal."
  }

  assert {
    condition = alltrue([
      for k, p in aws_kms_key.this : alltrue([for s in jsondecode(p.policy).Statement : !contains(flatten([s.Action]), "kms:*")])
    ])
    error_message = "No key policy statement may allow kms:*."
  }

  assert {
    condition = [
      for s in jsondecode(aws_kms_key.this["phi"].policy).Statement : s.Principal.AWS if s.Sid == "UseByNamedRoles"
    ][0] == ["arn:aws:iam::111122223333:role/carelake-dev-glue-jobs"]
    error_message = "PHI key use must be limited to the named roles."
  }

  assert {
    condition = !contains(flatten([
      for s in jsondecode(aws_kms_key.this["phi"].policy).Statement : s.Action if s.Sid == "DeployerEncryptOnly"
    ]), "kms:Decrypt")
    error_message = "The deploy role must not be able to decrypt PHI."
  }

  assert {
    condition = [
      for s in jsondecode(aws_kms_key.this["phi"].policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "UseThroughAthenaGlueS3Only"
    ][0] == ["athena.us-east-1.amazonaws.com", "glue.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"]
    error_message = "Personas may use the PHI key only through Athena, Glue and S3."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_kms_key.this["logs"].policy).Statement : s.Sid], "CloudTrailEncryptOwnTrails") && !contains([for s in jsondecode(aws_kms_key.this["phi"].policy).Statement : s.Sid], "CloudTrailEncryptOwnTrails")
    error_message = "Only the logs key may be used by CloudTrail."
  }
}

run "rejects_wildcard_key_users" {
  command = plan

  variables {
    key_user_arns = { phi = ["*"] }
  }

  expect_failures = [var.key_user_arns]
}

run "rejects_short_deletion_window" {
  command = plan

  variables {
    deletion_window_in_days = 3
  }

  expect_failures = [var.deletion_window_in_days]
}
