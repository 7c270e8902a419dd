# Real AWS unless told otherwise. The aws_* variables exist so this root can be
# applied against a local emulator (make tf-emulator): their defaults are the
# provider's own, so they change nothing for a real deploy. The prod root has none.
provider "aws" {
  region                      = var.region
  allowed_account_ids         = var.account_id != null && !var.aws_skip_requesting_account_id ? [var.account_id] : null
  skip_credentials_validation = var.aws_skip_credentials_validation
  skip_requesting_account_id  = var.aws_skip_requesting_account_id
  skip_metadata_api_check     = var.aws_skip_metadata_api_check
  skip_region_validation      = var.aws_skip_region_validation
  s3_use_path_style           = var.aws_s3_use_path_style
  max_retries                 = var.aws_max_retries
  insecure                    = var.aws_insecure
  custom_ca_bundle            = var.aws_custom_ca_bundle

  dynamic "endpoints" {
    for_each = length(var.aws_endpoint_urls) > 0 ? [var.aws_endpoint_urls] : []

    content {
      accessanalyzer = lookup(endpoints.value, "accessanalyzer", null)
      acm            = lookup(endpoints.value, "acm", null)
      apigateway     = lookup(endpoints.value, "apigateway", null)
      athena         = lookup(endpoints.value, "athena", null)
      backup         = lookup(endpoints.value, "backup", null)
      chatbot        = lookup(endpoints.value, "chatbot", null)
      cloudtrail     = lookup(endpoints.value, "cloudtrail", null)
      cloudwatch     = lookup(endpoints.value, "cloudwatch", null)
      configservice  = lookup(endpoints.value, "configservice", null)
      dynamodb       = lookup(endpoints.value, "dynamodb", null)
      ec2            = lookup(endpoints.value, "ec2", null)
      events         = lookup(endpoints.value, "events", null)
      firehose       = lookup(endpoints.value, "firehose", null)
      glue           = lookup(endpoints.value, "glue", null)
      guardduty      = lookup(endpoints.value, "guardduty", null)
      iam            = lookup(endpoints.value, "iam", null)
      kinesis        = lookup(endpoints.value, "kinesis", null)
      kms            = lookup(endpoints.value, "kms", null)
      lakeformation  = lookup(endpoints.value, "lakeformation", null)
      lambda         = lookup(endpoints.value, "lambda", null)
      logs           = lookup(endpoints.value, "logs", null)
      macie2         = lookup(endpoints.value, "macie2", null)
      quicksight     = lookup(endpoints.value, "quicksight", null)
      route53        = lookup(endpoints.value, "route53", null)
      s3             = lookup(endpoints.value, "s3", null)
      scheduler      = lookup(endpoints.value, "scheduler", null)
      secretsmanager = lookup(endpoints.value, "secretsmanager", null)
      securityhub    = lookup(endpoints.value, "securityhub", null)
      sfn            = lookup(endpoints.value, "sfn", null)
      sns            = lookup(endpoints.value, "sns", null)
      sqs            = lookup(endpoints.value, "sqs", null)
      sts            = lookup(endpoints.value, "sts", null)
      transfer       = lookup(endpoints.value, "transfer", null)
      wafv2          = lookup(endpoints.value, "wafv2", null)
    }
  }

  default_tags {
    tags = module.platform.default_tags
  }
}
