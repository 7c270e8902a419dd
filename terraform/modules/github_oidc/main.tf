# GitHub Actions identities that Terraform manages: the read-only plan role (pull
# requests, main and the environment may assume it; it reads state and AWS metadata
# but never PHI, and writes nothing, not even the state lock: its plans run with
# -lock=false) and, optionally, the account's GitHub OIDC provider. The apply role
# lives in the bootstrap CloudFormation stack on purpose: a role must not be
# managed by the state it applies (an apply could otherwise widen its own rights).
locals {
  provider_url  = "token.actions.githubusercontent.com"
  provider_arn  = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : coalesce(var.oidc_provider_arn, "arn:${var.context.partition}:iam::${var.context.account_id}:oidc-provider/${local.provider_url}")
  environment   = coalesce(var.github_environment, var.context.environment)
  state_bucket  = "arn:${var.context.partition}:s3:::${var.state_bucket_name}"
  plan_subjects = ["repo:${var.github_repository}:pull_request", "repo:${var.github_repository}:ref:refs/heads/main", "repo:${var.github_repository}:environment:${local.environment}"]
}

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.provider_url}"
  client_id_list = ["sts.amazonaws.com"]

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.context.name_prefix}-github-plan"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "GitHub Actions: terraform plan and smoke checks for ${var.github_repository}; read-only, no PHI"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "${local.provider_url}:aud" = "sts.amazonaws.com" }
        StringLike   = { "${local.provider_url}:sub" = local.plan_subjects }
      }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy" "this" {
  name = "state-and-no-phi"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadState"
        Effect   = "Allow"
        Action   = ["s3:GetObject", "s3:ListBucket"]
        Resource = [local.state_bucket, "${local.state_bucket}/*"]
      },
      {
        Sid       = "DecryptState"
        Effect    = "Allow"
        Action    = ["kms:Decrypt", "kms:DescribeKey"]
        Resource  = "arn:${var.context.partition}:kms:${var.context.region}:${var.context.account_id}:key/*"
        Condition = { "ForAnyValue:StringEquals" = { "kms:ResourceAliases" = var.state_kms_key_alias } }
      },
      # ReadOnlyAccess includes data reads; PHI stays out of reach explicitly.
      {
        Sid      = "DenyPhiObjects"
        Effect   = "Deny"
        Action   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes"]
        Resource = [for b in var.phi_s3_bucket_arns : "${b}/*"]
      },
      {
        Sid      = "DenyPhiKey"
        Effect   = "Deny"
        Action   = ["kms:Decrypt", "kms:ReEncryptFrom"]
        Resource = var.phi_kms_key_arn
      },
      {
        Sid    = "DenyPhiRecordsAndResults"
        Effect = "Deny"
        Action = [
          "athena:GetQueryResults",
          "athena:GetQueryResultsStream",
          "dynamodb:BatchGetItem",
          "dynamodb:GetItem",
          "dynamodb:GetRecords",
          "dynamodb:Query",
          "dynamodb:Scan",
          "kinesis:GetRecords",
          "sqs:ReceiveMessage",
        ]
        Resource = "*"
      },
    ]
  })
}
