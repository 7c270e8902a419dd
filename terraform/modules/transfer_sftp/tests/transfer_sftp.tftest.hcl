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
  vpc_id        = "vpc-0a"
  subnet_ids    = ["subnet-0a", "subnet-0b"]
  allowed_cidrs = ["192.0.2.0/24"]
  partners = {
    acme-health = { ssh_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBexample acme", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBexampl2 acme2"] }
    bluepayer   = { ssh_public_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBexample3 blue"] }
  }
  raw_bucket_name        = "carelake-dev-raw-111122223333"
  quarantine_bucket_name = "carelake-dev-quarantine-111122223333"
  claims_job_name        = "carelake-dev-claims_to_bronze"
  arrival_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/sftp_arrival.zip"
  }
  lambda_security_group_ids = ["sg-0a"]
  artifacts_kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
  logs_kms_key_arn          = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  alarm_topic_arn           = "arn:aws:sns:us-east-1:111122223333:carelake-dev-pipeline-failures"
}

run "server_private_modern_logged" {
  command = plan

  assert {
    condition     = aws_transfer_server.this.endpoint_type == "VPC" && length(coalesce(one(aws_transfer_server.this.endpoint_details).address_allocation_ids, [])) == 0
    error_message = "The server must be a VPC endpoint without public addresses."
  }

  assert {
    condition     = aws_transfer_server.this.protocols == toset(["SFTP"]) && aws_transfer_server.this.security_policy_name == "TransferSecurityPolicy-2025-03"
    error_message = "SFTP only, with a modern security policy."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.logs_kms_key_arn
    error_message = "Server logs must be KMS-encrypted."
  }

  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.this : "${r.cidr_ipv4}:${r.from_port}"] == ["192.0.2.0/24:22"]
    error_message = "Only the partner networks may reach port 22."
  }
}

run "partners_chrooted" {
  command = plan

  assert {
    condition     = aws_transfer_user.this["acme-health"].home_directory_type == "LOGICAL" && one(aws_transfer_user.this["acme-health"].home_directory_mappings).target == "/carelake-dev-raw-111122223333/claims/partner=acme-health"
    error_message = "Each partner must be chrooted to claims/partner=<id> in the raw bucket."
  }

  assert {
    condition     = [for s in jsondecode(aws_transfer_user.this["bluepayer"].policy).Statement : s.Resource if s.Sid == "UploadOwnFolder"][0] == "arn:aws:s3:::carelake-dev-raw-111122223333/claims/partner=bluepayer/*"
    error_message = "Each partner's session policy must cover its own folder only."
  }

  assert {
    condition     = length(aws_transfer_ssh_key.this) == 3
    error_message = "Every listed SSH key must be installed."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.partners.policy).Statement : !anytrue([for a in flatten([s.Action]) : contains(["s3:*", "s3:DeleteObject", "*"], a)])
    ])
    error_message = "Partners must not delete objects or hold wildcard actions."
  }
}

run "arrival_starts_claims_job" {
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.object.key == [{ prefix = "claims/" }]
    error_message = "The arrival rule must match objects created under claims/."
  }

  assert {
    condition = (
      module.arrival.lambda_function_name == "carelake-dev-sftp-arrival"
      && aws_lambda_permission.this.principal == "events.amazonaws.com"
    )
    error_message = "The arrival Lambda must be invoked by the rule."
  }
}

run "rejects_open_cidr" {
  command = plan

  variables {
    allowed_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.allowed_cidrs]
}

run "rejects_old_security_policy" {
  command = plan

  variables {
    security_policy_name = "TransferSecurityPolicy-2024-01"
  }

  expect_failures = [var.security_policy_name]
}
