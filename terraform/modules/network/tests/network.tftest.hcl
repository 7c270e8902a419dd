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
  availability_zones = ["us-east-1a", "us-east-1b"]
  logs_kms_key_arn   = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
}

run "private_only_data_plane" {
  command = plan

  assert {
    condition     = length(aws_subnet.this) == 2 && alltrue([for s in aws_subnet.this : !s.map_public_ip_on_launch])
    error_message = "Subnets must be private: no public IPs on launch."
  }

  assert {
    condition     = length(aws_route_table.this.route) == 0
    error_message = "The private route table must have no routes besides local and gateway endpoints (no internet or NAT gateway)."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must allow nothing."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == "10.40.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints_https.from_port == 443
    error_message = "Interface endpoints must accept HTTPS from the VPC only."
  }
}

run "private_endpoints" {
  command = plan

  assert {
    condition     = toset(keys(aws_vpc_endpoint.gateway)) == toset(["s3", "dynamodb"]) && alltrue([for e in aws_vpc_endpoint.gateway : e.vpc_endpoint_type == "Gateway"])
    error_message = "S3 and DynamoDB must be reached through gateway endpoints."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.gateway : jsondecode(e.policy).Statement[0].Condition.StringEquals["aws:ResourceAccount"] == "111122223333"])
    error_message = "Gateway endpoint policies must restrict access to this account's resources."
  }

  assert {
    condition = alltrue([
      for svc in ["glue", "athena", "kms", "sts", "logs", "kinesis-streams", "sns", "lambda"] :
      aws_vpc_endpoint.interface[svc].private_dns_enabled && aws_vpc_endpoint.interface[svc].vpc_endpoint_type == "Interface"
    ])
    error_message = "Glue, Athena, KMS, STS, CloudWatch Logs, Kinesis, SNS and Lambda must have private interface endpoints."
  }
}

run "flow_logs_encrypted" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.logs_kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days >= 365
    error_message = "Flow logs must be encrypted with the logs key and kept at least a year."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL"
    error_message = "Flow logs must capture all traffic."
  }
}

run "rejects_missing_required_endpoint" {
  command = plan

  variables {
    interface_endpoint_services = ["glue", "athena"]
  }

  expect_failures = [var.interface_endpoint_services]
}
