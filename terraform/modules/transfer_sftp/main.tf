# Partner claims over SFTP: a Transfer Family server inside the VPC (VPC endpoint
# type, reached over VPN/Direct Connect; no public address), a modern security
# policy, KMS-encrypted structured logs, one service-managed user per partner
# chrooted to <claims_prefix>/partner=<id>/ of the raw bucket with a scope-down
# policy, and an EventBridge rule that hands every new claims file to the
# sftp_arrival Lambda, which checks it and starts the claims job or moves it to
# quarantine (sftp_rejected/).
locals {
  raw_bucket_arn        = "arn:${var.context.partition}:s3:::${var.raw_bucket_name}"
  quarantine_bucket_arn = "arn:${var.context.partition}:s3:::${var.quarantine_bucket_name}"
  claims_job_arn        = "arn:${var.context.partition}:glue:${var.context.region}:${var.context.account_id}:job/${var.claims_job_name}"
  log_group_name        = "/aws/transfer/${var.context.name_prefix}-sftp"
  claims                = trim(var.claims_prefix, "/")

  ssh_keys = merge([
    for p, cfg in var.partners : { for i, k in cfg.ssh_public_keys : "${p}/${i}" => { partner = p, key = k } }
  ]...)
}

resource "aws_security_group" "this" {
  name        = "${var.context.name_prefix}-sftp"
  description = "Transfer Family SFTP endpoint: SSH from the partners' networks only"
  vpc_id      = var.vpc_id

  tags = {
    Name               = "${var.context.name_prefix}-sftp"
    DataClassification = "phi"
  }
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = toset(var.allowed_cidrs)

  security_group_id = aws_security_group.this.id
  description       = "SFTP from partner network ${each.key}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.key

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "logging" {
  name                 = "${var.context.name_prefix}-sftp-logging"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Transfer Family logging to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "transfer.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy" "logging" {
  name = "logging"
  role = aws_iam_role.logging.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "OwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.this.arn}:*"
      },
      # Log delivery set-up for structured logging; these actions take no resource ARN.
      {
        Sid      = "StructuredLogDelivery"
        Effect   = "Allow"
        Action   = ["logs:CreateLogDelivery", "logs:DescribeLogGroups", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:UpdateLogDelivery"]
        Resource = "*"
      },
    ]
  })
}

resource "aws_transfer_server" "this" {
  endpoint_type                   = "VPC"
  protocols                       = ["SFTP"]
  identity_provider_type          = "SERVICE_MANAGED"
  domain                          = "S3"
  security_policy_name            = var.security_policy_name
  logging_role                    = aws_iam_role.logging.arn
  structured_log_destinations     = ["${aws_cloudwatch_log_group.this.arn}:*"]
  pre_authentication_login_banner = var.login_banner

  endpoint_details {
    vpc_id             = var.vpc_id
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  tags = {
    Name               = "${var.context.name_prefix}-sftp"
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# Partners.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "partners" {
  name                 = "${var.context.name_prefix}-sftp-partners"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "SFTP partner sessions: upload claims into raw; each user is scoped down to its own folder"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "transfer.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy" "partners" {
  name = "claims-upload"
  role = aws_iam_role.partners.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListClaimsFolders"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.claims}/partner=*"] } }
      },
      {
        Sid      = "UploadClaims"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "${local.raw_bucket_arn}/${local.claims}/partner=*"
      },
    ]
  })
}

resource "aws_transfer_user" "this" {
  for_each = var.partners

  server_id           = aws_transfer_server.this.id
  user_name           = each.key
  role                = aws_iam_role.partners.arn
  home_directory_type = "LOGICAL"

  home_directory_mappings {
    entry  = "/"
    target = "/${var.raw_bucket_name}/${local.claims}/partner=${each.key}"
  }

  # Session policy: this partner's folder only, whatever the role allows.
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListOwnFolder"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.claims}/partner=${each.key}/*", "${local.claims}/partner=${each.key}"] } }
      },
      {
        Sid      = "UploadOwnFolder"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:PutObject"]
        Resource = "${local.raw_bucket_arn}/${local.claims}/partner=${each.key}/*"
      },
    ]
  })

  tags = {
    Partner            = each.key
    DataClassification = "phi"
  }
}

resource "aws_transfer_ssh_key" "this" {
  for_each = local.ssh_keys

  server_id = aws_transfer_server.this.id
  user_name = aws_transfer_user.this[each.value.partner].user_name
  body      = each.value.key
}

# ---------------------------------------------------------------------------------
# Arrival: a new object under claims/ starts the sftp_arrival Lambda.
# ---------------------------------------------------------------------------------
module "arrival" {
  source = "../lambda_function"

  context     = var.context
  name        = "sftp_arrival"
  description = "Checks each partner claims file that lands in ${local.claims}/ and starts the claims job or quarantines the file"
  code        = var.arrival_code
  timeout     = 300
  memory_size = 512
  environment_variables = {
    CLAIMS_JOB_NAME   = var.claims_job_name
    QUARANTINE_BUCKET = var.quarantine_bucket_name
    MAX_FILE_BYTES    = tostring(var.max_file_bytes)
  }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.lambda_security_group_ids
  alarm_topic_arn         = var.alarm_topic_arn
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # ListBucket lets a missing object answer 404 (a redelivered event), not 403.
      {
        Sid       = "ListArrivedClaims"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.raw_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.claims}/*"] } }
      },
      # Read the head of each file; delete a rejected file once it is copied to quarantine
      # (raw is versioned, so the version stays recoverable).
      {
        Sid      = "CheckAndMoveArrivedClaims"
        Effect   = "Allow"
        Action   = ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectTagging"]
        Resource = "${local.raw_bucket_arn}/${local.claims}/*"
      },
      {
        Sid      = "QuarantineRejectedFiles"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:PutObject", "s3:PutObjectTagging"]
        Resource = "${local.quarantine_bucket_arn}/sftp_rejected/*"
      },
      {
        Sid      = "StartClaimsJob"
        Effect   = "Allow"
        Action   = ["glue:GetJobRuns", "glue:StartJobRun"]
        Resource = local.claims_job_arn
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "this" {
  name        = "${var.context.name_prefix}-claims-arrived"
  description = "A partner claims file landed under ${local.claims}/ in the raw bucket"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.raw_bucket_name] }
      object = { key = [{ prefix = "${local.claims}/" }] }
    }
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "sftp-arrival"
  arn       = module.arrival.lambda_function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowClaimsArrivedRule"
  action        = "lambda:InvokeFunction"
  function_name = module.arrival.lambda_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}
