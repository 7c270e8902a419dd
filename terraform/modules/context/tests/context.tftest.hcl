variables {
  environment = "dev"
  owner       = "platform@carelake.example"
  cost_center = "cc-1234"
  account_id  = "111122223333"
  region      = "us-east-1"
}

run "names_and_tags" {
  command = plan

  assert {
    condition     = output.name_prefix == "carelake-dev"
    error_message = "name_prefix must be <project>-<environment>."
  }

  assert {
    condition = alltrue([
      for k in ["Project", "Environment", "Owner", "CostCenter"] : contains(keys(output.default_tags), k)
    ])
    error_message = "default_tags must carry Project, Environment, Owner and CostCenter."
  }

  assert {
    condition     = output.context.account_id == "111122223333" && output.context.partition == "aws"
    error_message = "context must carry the account id and partition for ARNs."
  }

  assert {
    condition     = output.context.permissions_boundary_arn == "arn:aws:iam::111122223333:policy/carelake-dev-workload-boundary"
    error_message = "context must name the bootstrap stack's workload boundary (<project>-<environment>-workload-boundary)."
  }
}

run "extra_tags_cannot_override_required_tags" {
  command = plan

  variables {
    extra_tags = { Environment = "prod", Team = "data" }
  }

  assert {
    condition     = output.default_tags.Environment == "dev" && output.default_tags.Team == "data"
    error_message = "extra_tags must not override the required tags."
  }
}

run "rejects_bad_account_id" {
  command = plan

  variables {
    account_id = "12345"
  }

  expect_failures = [var.account_id]
}

run "rejects_empty_owner" {
  command = plan

  variables {
    owner = " "
  }

  expect_failures = [var.owner]
}
