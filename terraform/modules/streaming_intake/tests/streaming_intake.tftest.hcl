mock_provider "aws" {
  mock_resource "aws_api_gateway_stage" {
    override_during = plan
    defaults = {
      arn = "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/v1"
    }
  }
  mock_resource "aws_wafv2_web_acl" {
    override_during = plan
    defaults = {
      arn = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/carelake-dev-intake-waf/0000"
    }
  }
  mock_resource "aws_acm_certificate" {
    override_during = plan
    defaults = {
      arn = "arn:aws:acm:us-east-1:111122223333:certificate/0000"
      domain_validation_options = [{
        domain_name           = "intake.dev.carelake.example"
        resource_record_name  = "_x1.intake.dev.carelake.example."
        resource_record_type  = "CNAME"
        resource_record_value = "_y1.acm-validations.aws."
      }]
    }
  }
}

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
  raw_bucket_name = "carelake-dev-raw-111122223333"
  intake_code = {
    s3_bucket = "carelake-dev-artifacts-111122223333"
    s3_key    = "carelake/1.2.3/lambdas/outreach_intake.zip"
  }
  phi_kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  logs_kms_key_arn      = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000002"
  artifacts_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
  subnet_ids            = ["subnet-0a", "subnet-0b"]
  security_group_ids    = ["sg-0a"]
  alarm_topic_arn       = "arn:aws:sns:us-east-1:111122223333:carelake-dev-pipeline-failures"
  custom_domain         = { domain_name = "intake.dev.carelake.example", route53_zone_id = "Z0123456789ABCDEFGHIJ" }
  # The contract itself (terraform test runs in this module's folder).
  request_schema = jsondecode(file("../../../jobs/src/carelake/contracts/outreach_event.schema.json"))
}

run "api_authorised_validated_throttled_logged" {
  command = plan

  assert {
    condition     = aws_api_gateway_method.this.authorization == "AWS_IAM"
    error_message = "The API must require IAM authorisation by default."
  }

  assert {
    condition     = aws_api_gateway_request_validator.this.validate_request_body && aws_api_gateway_method.this.request_models["application/json"] == "OutreachEvent"
    error_message = "Request bodies must be validated against the OutreachEvent model."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.this.schema).properties.note.maxLength == 4096 && !jsondecode(aws_api_gateway_model.this.schema).additionalProperties
    error_message = "The model must follow the data contract (note up to 4 KB, no extra fields)."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.this.schema).properties.event_at.pattern == var.request_schema.properties.event_at.pattern
    error_message = "API Gateway checks event_at with the contract's pattern (upper-case T and Z, offsets up to 14:00)."
  }

  assert {
    condition     = one(aws_api_gateway_method_settings.this.settings).throttling_rate_limit == 50 && one(aws_api_gateway_method_settings.this.settings).throttling_burst_limit == 100
    error_message = "The API must be throttled."
  }

  assert {
    condition     = !one(aws_api_gateway_method_settings.this.settings).data_trace_enabled
    error_message = "Full request logging would write PHI to logs; it must be off."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == var.logs_kms_key_arn && length(aws_api_gateway_stage.this.access_log_settings) == 1
    error_message = "Access logs must be on and KMS-encrypted."
  }
}

run "stream_and_delivery_encrypted" {
  command = plan

  assert {
    condition     = aws_kinesis_stream.this.encryption_type == "KMS" && aws_kinesis_stream.this.kms_key_id == var.phi_kms_key_arn
    error_message = "The stream must be encrypted with the PHI key."
  }

  assert {
    condition     = one(aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration).kms_key_arn == var.phi_kms_key_arn
    error_message = "Delivered files must be encrypted with the PHI key."
  }

  assert {
    condition = (
      one(aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration).prefix == "care_mgmt/dt=!{partitionKeyFromQuery:dt}/"
      && one(one(aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration).dynamic_partitioning_configuration).enabled
    )
    error_message = "Firehose must partition dynamically into care_mgmt/dt=.../."
  }

  assert {
    condition     = module.intake.lambda_function_name == "carelake-dev-outreach-intake"
    error_message = "The intake Lambda must exist."
  }
}

run "model_from_lambda_schema" {
  command = plan

  variables {
    request_schema = {
      "$schema"            = "https://json-schema.org/draft/2020-12/schema"
      "$comment"           = "carelake keyword x-maxUtf8Bytes"
      type                 = "object"
      additionalProperties = false
      required             = ["patient_id"]
      properties = {
        patient_id = { type = "string", maxLength = 64 }
        event_at   = { type = "string", format = "date-time" }
        note       = { type = "string", maxLength = 4096, "x-maxUtf8Bytes" = 4096 }
      }
    }
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.this.schema)["$schema"] == "http://json-schema.org/draft-04/schema#"
    error_message = "The model must be JSON Schema draft 4."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_model.this.schema).properties.note == { type = "string", maxLength = 4096 }
    error_message = "Keywords API Gateway does not know must be dropped, the rest kept."
  }

  assert {
    condition     = !contains(keys(jsondecode(aws_api_gateway_model.this.schema)), "$comment") && !jsondecode(aws_api_gateway_model.this.schema).additionalProperties
    error_message = "Only draft 4 keywords may reach API Gateway; additionalProperties=false must survive."
  }
}

run "cognito_authorisation" {
  command = plan

  variables {
    authorization_type     = "COGNITO_USER_POOLS"
    cognito_user_pool_arns = ["arn:aws:cognito-idp:us-east-1:111122223333:userpool/us-east-1_example"]
  }

  assert {
    condition     = aws_api_gateway_method.this.authorization == "COGNITO_USER_POOLS" && length(aws_api_gateway_authorizer.this) == 1
    error_message = "Cognito authorisation must use the user pool authoriser."
  }
}

run "rejects_unauthenticated_api" {
  command = plan

  variables {
    authorization_type = "NONE"
  }

  expect_failures = [var.authorization_type]
}

run "api_only_on_its_custom_domain_with_tls_1_2" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this.disable_execute_api_endpoint
    error_message = "The default execute-api endpoint (TLS 1.0 policy, no WAF of its own) must be disabled."
  }

  assert {
    condition     = aws_api_gateway_domain_name.this.security_policy == "TLS_1_2" && aws_api_gateway_domain_name.this.domain_name == var.custom_domain.domain_name
    error_message = "The custom domain must require TLS 1.2 or newer."
  }

  assert {
    condition     = aws_api_gateway_base_path_mapping.this.stage_name == "v1" && aws_route53_record.api.zone_id == var.custom_domain.route53_zone_id
    error_message = "The v1 stage must be mapped to the domain, and the domain must point at it."
  }

  assert {
    condition     = aws_acm_certificate.this.validation_method == "DNS" && aws_route53_record.validation["intake.dev.carelake.example"].name == "_x1.intake.dev.carelake.example."
    error_message = "The certificate must be DNS-validated in the environment's hosted zone."
  }
}

run "waf_rate_limits_and_guards_the_stage" {
  command = plan

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.this.rule : (
        length(one(r.action).block) == 1
        && one(one(r.statement).rate_based_statement).limit == 1000
        && one(one(r.statement).rate_based_statement).aggregate_key_type == "IP"
      ) if r.name == "rate-limit-per-address"
    ]) && length([for r in aws_wafv2_web_acl.this.rule : r if r.name == "rate-limit-per-address"]) == 1
    error_message = "A rate-based rule must block an address over the limit."
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this.resource_arn == "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages/v1" && aws_wafv2_web_acl_association.this.web_acl_arn == aws_wafv2_web_acl.this.arn
    error_message = "The web ACL must be associated with the API stage."
  }

  assert {
    condition     = length(aws_wafv2_web_acl_logging_configuration.this.log_destination_configs) == 1 && aws_cloudwatch_log_group.waf.kms_key_id == var.logs_kms_key_arn && startswith(aws_cloudwatch_log_group.waf.name, "aws-waf-logs-")
    error_message = "WAF must log to a KMS-encrypted log group."
  }
}

run "rejects_a_domain_that_is_not_a_dns_name" {
  command = plan

  variables {
    custom_domain = { domain_name = "https://intake", route53_zone_id = "Z0123456789ABCDEFGHIJ" }
  }

  expect_failures = [var.custom_domain]
}
