# Care-manager outreach events: API Gateway (IAM or Cognito authorisation, request
# validation against the data contract's schema, throttling, KMS-encrypted access
# logs), served only on its custom domain with a TLS 1.2 security policy (the default
# execute-api endpoint is disabled) behind a WAF web ACL with a per-address rate limit
# -> outreach_intake Lambda -> Kinesis Data Stream (KMS) -> Firehose (dynamic
# partitioning by the UTC receive day) -> raw/care_mgmt/dt=YYYY-MM-DD/ as JSON lines.
# Failed deliveries land under care_mgmt_errors/; failed async invocations of the
# Lambda in its dead-letter queue.
locals {
  raw_bucket_arn = "arn:${var.context.partition}:s3:::${var.raw_bucket_name}"
  stream_name    = "${var.context.name_prefix}-outreach-events"
  stream_arn     = "arn:${var.context.partition}:kinesis:${var.context.region}:${var.context.account_id}:stream/${local.stream_name}"
  firehose_name  = "${var.context.name_prefix}-outreach-events-to-raw"
  api_name       = "${var.context.name_prefix}-intake"
  resource_path  = "outreach-events"

  # The request model: the outreach event contract (jobs/src/carelake/contracts/, the one
  # definition the intake Lambda and bronze enforce too), reduced to what API Gateway's JSON
  # Schema draft 4 understands.
  source_schema = var.request_schema
  outreach_event_schema = merge(
    { for k, v in local.source_schema : k => v if !startswith(k, "$") && !startswith(k, "x-") && k != "properties" },
    {
      "$schema" = "http://json-schema.org/draft-04/schema#"
      properties = {
        for name, spec in local.source_schema.properties : name => {
          for k, v in spec : k => v if !startswith(k, "$") && !startswith(k, "x-") && k != "format"
        }
      }
    },
  )
}

# ---------------------------------------------------------------------------------
# Stream and intake Lambda.
# ---------------------------------------------------------------------------------
resource "aws_kinesis_stream" "this" {
  name             = local.stream_name
  retention_period = var.stream_retention_hours
  encryption_type  = "KMS"
  kms_key_id       = var.phi_kms_key_arn

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }

  tags = {
    DataClassification = "phi"
  }
}

module "intake" {
  source = "../lambda_function"

  context                 = var.context
  name                    = "outreach_intake"
  description             = "Validates outreach events from the intake API and puts them on the Kinesis stream"
  code                    = var.intake_code
  timeout                 = 27
  environment_variables   = { STREAM_NAME = aws_kinesis_stream.this.name }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.phi_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = var.alarm_topic_arn
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PutOutreachEvents"
      Effect   = "Allow"
      Action   = ["kinesis:DescribeStreamSummary", "kinesis:PutRecord", "kinesis:PutRecords"]
      Resource = local.stream_arn
    }]
  })
}

# ---------------------------------------------------------------------------------
# API.
# ---------------------------------------------------------------------------------
resource "aws_api_gateway_rest_api" "this" {
  name        = local.api_name
  description = "carelake intake API: care-manager outreach events"

  # Clients reach the API through its custom domain only (TLS 1.2 policy, WAF).
  disable_execute_api_endpoint = true

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  # With IAM authorisation only principals of this account may call the API.
  policy = var.authorization_type == "AWS_IAM" ? jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:${var.context.partition}:iam::${var.context.account_id}:root" }
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
    }]
  }) : null

  tags = {
    DataClassification = "phi"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_authorizer" "this" {
  count = var.authorization_type == "COGNITO_USER_POOLS" ? 1 : 0

  name          = "${local.api_name}-cognito"
  rest_api_id   = aws_api_gateway_rest_api.this.id
  type          = "COGNITO_USER_POOLS"
  provider_arns = var.cognito_user_pool_arns
}

resource "aws_api_gateway_resource" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = local.resource_path
}

resource "aws_api_gateway_model" "this" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "OutreachEvent"
  description  = "An outreach event as in docs/data-contracts.md"
  content_type = "application/json"
  schema       = jsonencode(local.outreach_event_schema)
}

resource "aws_api_gateway_request_validator" "this" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "body-and-parameters"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_method" "this" {
  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = aws_api_gateway_resource.this.id
  http_method          = "POST"
  authorization        = var.authorization_type
  authorizer_id        = var.authorization_type == "COGNITO_USER_POOLS" ? aws_api_gateway_authorizer.this[0].id : null
  request_validator_id = aws_api_gateway_request_validator.this.id
  request_models       = { "application/json" = aws_api_gateway_model.this.name }
}

resource "aws_api_gateway_integration" "this" {
  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_resource.this.id
  http_method             = aws_api_gateway_method.this.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = module.intake.lambda_function_invoke_arn
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowIntakeApi"
  action        = "lambda:InvokeFunction"
  function_name = module.intake.lambda_function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/POST/${local.resource_path}"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "carelake intake API"

  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_rest_api.this.policy,
      aws_api_gateway_resource.this.id,
      aws_api_gateway_model.this.schema,
      aws_api_gateway_method.this.authorization,
      aws_api_gateway_method.this.request_validator_id,
      aws_api_gateway_integration.this.uri,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_integration.this]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${local.api_name}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are per-request acknowledgements; caching them would only keep PHI around.
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; this API's backend is Lambda.
  rest_api_id           = aws_api_gateway_rest_api.this.id
  deployment_id         = aws_api_gateway_deployment.this.id
  stage_name            = "v1"
  xray_tracing_enabled  = true
  cache_cluster_enabled = false

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      requestTime    = "$context.requestTimeEpoch"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      callerAccount  = "$context.identity.accountId"
      caller         = "$context.identity.caller"
      userArn        = "$context.identity.userArn"
      sourceIp       = "$context.identity.sourceIp"
      errorMessage   = "$context.error.message"
      validation     = "$context.error.validationErrorString"
    })
  }

  tags = {
    DataClassification = "phi"
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Caching would keep PHI-bearing responses around; every POST is handled once.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    data_trace_enabled     = false
    caching_enabled        = false
    cache_data_encrypted   = true
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }
}

# ---------------------------------------------------------------------------------
# Custom domain: the API's only endpoint, TLS 1.2 or newer, with a certificate DNS-
# validated in the environment's hosted zone.
# ---------------------------------------------------------------------------------
resource "aws_acm_certificate" "this" {
  domain_name       = var.custom_domain.domain_name
  validation_method = "DNS"

  tags = {
    DataClassification = "non-phi"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = toset([var.custom_domain.domain_name]) # keys known at plan; the records are not

  zone_id         = var.custom_domain.route53_zone_id
  name            = one([for o in aws_acm_certificate.this.domain_validation_options : o.resource_record_name if o.domain_name == each.key])
  type            = one([for o in aws_acm_certificate.this.domain_validation_options : o.resource_record_type if o.domain_name == each.key])
  records         = [for o in aws_acm_certificate.this.domain_validation_options : o.resource_record_value if o.domain_name == each.key]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_api_gateway_domain_name" "this" {
  domain_name              = var.custom_domain.domain_name
  regional_certificate_arn = aws_acm_certificate_validation.this.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = aws_api_gateway_domain_name.this.domain_name
}

resource "aws_route53_record" "api" {
  zone_id = var.custom_domain.route53_zone_id
  name    = aws_api_gateway_domain_name.this.domain_name
  type    = "A"

  alias {
    name                   = aws_api_gateway_domain_name.this.regional_domain_name
    zone_id                = aws_api_gateway_domain_name.this.regional_zone_id
    evaluate_target_health = false
  }
}

# ---------------------------------------------------------------------------------
# WAF: a rate limit per client address, AWS's common and known-bad-input rule groups,
# and KMS-encrypted logs with the Authorization header redacted.
# ---------------------------------------------------------------------------------
resource "aws_wafv2_web_acl" "this" {
  name        = "${local.api_name}-waf"
  description = "carelake intake API: rate limit per address and AWS managed protections"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-address"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit_per_5_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.api_name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common-rule-set"
    priority = 1

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"

        # Bodies up to 32 KiB are valid (docs/runbook.md, outreach_intake); the group's
        # 8 KiB body limit is counted, not enforced: the Lambda refuses what is too large.
        rule_action_override {
          name = "SizeRestrictions_BODY"

          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.api_name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 2

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.api_name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # Tor exits and anonymising proxies have no business sending PHI; cloud-hosted callers
  # (partners' integrations) are counted, not blocked.
  rule {
    name     = "aws-anonymous-ip-list"
    priority = 3

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAnonymousIpList"

        rule_action_override {
          name = "HostingProviderIPList"

          action_to_use {
            count {}
          }
        }
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.api_name}-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.api_name}-waf"
    sampled_requests_enabled   = true
  }

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

# WAF requires the log group name to start with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "waf" {
  name              = "aws-waf-logs-${local.api_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
}

# API Gateway writes logs through one role per account and region.
resource "aws_iam_role" "api_gateway_logs" {
  count = var.manage_api_gateway_account ? 1 : 0

  name                 = "${var.context.name_prefix}-apigateway-logs"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "API Gateway writes execution and access logs to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  role       = aws_iam_role.api_gateway_logs[0].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_logs[0].arn

  depends_on = [aws_iam_role_policy_attachment.this]
}

# ---------------------------------------------------------------------------------
# Firehose to raw.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/aws/kinesisfirehose/${local.firehose_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_log_stream" "this" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

resource "aws_iam_role" "firehose" {
  name                 = "${var.context.name_prefix}-outreach-firehose"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "Firehose reads the outreach stream and writes raw/care_mgmt/"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "firehose.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy" "this" {
  name = "outreach-to-raw"
  role = aws_iam_role.firehose.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
        Resource = local.stream_arn
      },
      {
        Sid      = "ListRaw"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"]
        Resource = local.raw_bucket_arn
      },
      {
        Sid      = "WriteCareManagementPrefixes"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"]
        Resource = ["${local.raw_bucket_arn}/care_mgmt/*", "${local.raw_bucket_arn}/care_mgmt_errors/*"]
      },
      {
        Sid      = "DeliveryLogs"
        Effect   = "Allow"
        Action   = "logs:PutLogEvents"
        Resource = "${aws_cloudwatch_log_group.firehose.arn}:*"
      },
    ]
  })
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  #checkov:skip=CKV_AWS_240:The source is a Kinesis stream, which is KMS-encrypted; Firehose server-side encryption applies only to Direct PUT.
  #checkov:skip=CKV_AWS_241:The source is a Kinesis stream, which is KMS-encrypted; Firehose server-side encryption applies only to Direct PUT.
  name        = local.firehose_name
  destination = "extended_s3"

  kinesis_source_configuration {
    kinesis_stream_arn = aws_kinesis_stream.this.arn
    role_arn           = aws_iam_role.firehose.arn
  }

  extended_s3_configuration {
    bucket_arn          = local.raw_bucket_arn
    role_arn            = aws_iam_role.firehose.arn
    kms_key_arn         = var.phi_kms_key_arn
    prefix              = "care_mgmt/dt=!{partitionKeyFromQuery:dt}/"
    error_output_prefix = "care_mgmt_errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    file_extension      = ".json"
    compression_format  = "UNCOMPRESSED"
    buffering_size      = 64
    buffering_interval  = var.firehose_buffering_interval

    dynamic_partitioning_configuration {
      enabled = true
    }

    # dt = the UTC day of received_at, which the intake Lambda stamps on receipt;
    # records are newline-delimited so each file is JSON lines.
    processing_configuration {
      enabled = true

      processors {
        type = "MetadataExtraction"

        parameters {
          parameter_name  = "JsonParsingEngine"
          parameter_value = "JQ-1.6"
        }

        parameters {
          parameter_name  = "MetadataExtractionQuery"
          parameter_value = "{dt: .received_at[0:10]}"
        }
      }

      processors {
        type = "AppendDelimiterToRecord"

        parameters {
          parameter_name  = "Delimiter"
          parameter_value = "\\n"
        }
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.this.name
    }
  }

  tags = {
    DataClassification = "phi"
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_cloudwatch_metric_alarm" "this" {
  alarm_name          = "${local.firehose_name}-stale"
  alarm_description   = "Outreach events wait longer than 15 minutes to reach raw"
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.DataFreshness"
  dimensions          = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.this.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 900
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]

  tags = {
    DataClassification = "non-phi"
  }
}
