# The data plane's network: a VPC with private subnets only (no internet or NAT
# gateway), gateway endpoints for S3 and DynamoDB, interface endpoints with private
# DNS for every other AWS API the workloads call, and KMS-encrypted flow logs.
locals {
  subnets = {
    for i, az in var.availability_zones : az => cidrsubnet(var.cidr_block, var.subnet_newbits, i)
  }

  gateway_services = ["s3", "dynamodb"]

  # Endpoint policy for the gateway endpoints: only resources owned by this account
  # are reachable through them (blocks copying data out to another account's bucket).
  gateway_endpoint_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "OnlyThisAccountsResources"
      Effect    = "Allow"
      Principal = "*"
      Action    = "*"
      Resource  = "*"
      Condition = { StringEquals = { "aws:ResourceAccount" = var.context.account_id } }
    }]
  })
}

resource "aws_vpc" "this" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name               = "${var.context.name_prefix}-data-plane"
    DataClassification = "phi"
  }
}

# Lock down the default security group: nothing may use it.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = {
    Name               = "${var.context.name_prefix}-default-deny"
    DataClassification = "phi"
  }
}

resource "aws_subnet" "this" {
  for_each = local.subnets

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = each.value
  map_public_ip_on_launch = false

  tags = {
    Name               = "${var.context.name_prefix}-private-${each.key}"
    Tier               = "private"
    DataClassification = "phi"
  }
}

# No routes besides "local" and the gateway endpoints' prefix lists: no way out.
resource "aws_route_table" "this" {
  vpc_id = aws_vpc.this.id
  route  = []

  tags = {
    Name               = "${var.context.name_prefix}-private"
    DataClassification = "phi"
  }
}

resource "aws_route_table_association" "this" {
  for_each = aws_subnet.this

  subnet_id      = each.value.id
  route_table_id = aws_route_table.this.id
}

resource "aws_security_group" "endpoints" {
  name        = "${var.context.name_prefix}-vpc-endpoints"
  description = "Interface VPC endpoints: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name               = "${var.context.name_prefix}-vpc-endpoints"
    DataClassification = "phi"
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.cidr_block

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_security_group" "workloads" {
  #checkov:skip=CKV2_AWS_5:Attached by the glue_jobs (Glue connection) and lambda_function modules, which take its ID.
  name        = "${var.context.name_prefix}-workloads"
  description = "Glue jobs and Lambda functions: each other, the VPC endpoints and the gateway endpoints only"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name               = "${var.context.name_prefix}-workloads"
    DataClassification = "phi"
  }
}

# Glue needs a self-referencing rule so Spark driver and executors can talk.
resource "aws_vpc_security_group_ingress_rule" "workloads_self" {
  #checkov:skip=CKV_AWS_24:Source is this security group itself (referenced_security_group_id), not 0.0.0.0/0.
  #checkov:skip=CKV_AWS_25:Source is this security group itself (referenced_security_group_id), not 0.0.0.0/0.
  #checkov:skip=CKV_AWS_260:Source is this security group itself (referenced_security_group_id), not 0.0.0.0/0.
  security_group_id            = aws_security_group.workloads.id
  description                  = "Spark driver and executors (Glue requires a self-referencing rule)"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.workloads.id

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_vpc_security_group_egress_rule" "workloads_self" {
  security_group_id            = aws_security_group.workloads.id
  description                  = "Spark driver and executors (Glue requires a self-referencing rule)"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = aws_security_group.workloads.id

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_vpc_security_group_egress_rule" "workloads_endpoints" {
  security_group_id            = aws_security_group.workloads.id
  description                  = "HTTPS to the interface VPC endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_vpc_security_group_egress_rule" "workloads_gateway_endpoints" {
  for_each = aws_vpc_endpoint.gateway

  security_group_id = aws_security_group.workloads.id
  description       = "HTTPS to ${each.key} through its gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = each.value.prefix_list_id

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(local.gateway_services)

  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${var.context.region}.${each.key}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.this.id]
  policy            = local.gateway_endpoint_policy

  tags = {
    Name               = "${var.context.name_prefix}-${each.key}"
    DataClassification = "phi"
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoint_services)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${var.context.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for s in aws_subnet.this : s.id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = {
    Name               = "${var.context.name_prefix}-${each.key}"
    DataClassification = "phi"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.context.project}/${var.context.environment}/vpc-flow-logs"
  retention_in_days = var.flow_log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.context.name_prefix}-vpc-flow-logs"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "VPC flow logs delivery to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = var.context.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${var.context.partition}:ec2:${var.context.region}:${var.context.account_id}:vpc-flow-log/*" }
      }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy" "this" {
  name = "deliver-flow-logs"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteOwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
    }]
  })
}

resource "aws_flow_log" "this" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.this.arn
  iam_role_arn             = aws_iam_role.this.arn
  max_aggregation_interval = 60

  tags = {
    Name               = "${var.context.name_prefix}-data-plane"
    DataClassification = "non-phi"
  }
}
