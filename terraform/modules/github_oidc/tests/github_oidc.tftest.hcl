mock_provider "aws" {}

variables {
  context = {
    project                  = "carelake"
    environment              = "prod"
    name_prefix              = "carelake-prod"
    account_id               = "111122223333"
    region                   = "us-east-1"
    partition                = "aws"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/carelake-prod-workload-boundary"
  }
  github_repository  = "example-org/carelake"
  state_bucket_name  = "carelake-tfstate-111122223333"
  phi_s3_bucket_arns = ["arn:aws:s3:::carelake-prod-raw-111122223333"]
  phi_kms_key_arn    = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
}

run "trust_limited_to_repository" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"] == ["repo:example-org/carelake:pull_request", "repo:example-org/carelake:ref:refs/heads/main", "repo:example-org/carelake:environment:prod"]
    error_message = "Only this repository's pull requests, main branch and environment may assume the plan role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
    error_message = "The audience must be sts.amazonaws.com."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.Federated == "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
    error_message = "The role must trust the account's GitHub OIDC provider."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.this) == 0
    error_message = "The provider is created by the bootstrap stack unless asked for."
  }
}

run "plan_role_never_reads_phi" {
  command = plan

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Condition["ForAnyValue:StringEquals"]["kms:ResourceAliases"] if s.Sid == "DecryptState"][0] == "alias/carelake-tfstate"
    error_message = "State decryption must be limited to the bootstrap state key (by alias)."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource if s.Sid == "DenyPhiObjects"][0] == ["arn:aws:s3:::carelake-prod-raw-111122223333/*"]
    error_message = "The plan role must be denied PHI objects."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect if s.Sid == "DenyPhiKey"][0] == "Deny"
    error_message = "The plan role must be denied the PHI key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Effect == "Deny" || !anytrue([for a in flatten([s.Action]) : contains(["s3:PutObject", "s3:DeleteObject", "kms:Encrypt", "kms:GenerateDataKey", "dynamodb:PutItem"], a) || endswith(a, ":*")])
    ])
    error_message = "The plan role must not write (not even a state lock: its plans run with -lock=false)."
  }
}

run "creates_provider_when_asked" {
  command = plan

  variables {
    create_oidc_provider = true
  }

  assert {
    condition     = aws_iam_openid_connect_provider.this[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.this[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The provider must be GitHub's with the STS audience."
  }
}

run "rejects_wildcard_repository" {
  command = plan

  variables {
    github_repository = "example-org/*"
  }

  expect_failures = [var.github_repository]
}
