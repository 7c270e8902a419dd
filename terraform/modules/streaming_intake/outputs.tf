output "api_gateway_domain_name_url" {
  description = "The API's URL (its custom domain, TLS 1.2); POST events to <url>outreach-events."
  value       = "https://${aws_api_gateway_base_path_mapping.this.domain_name}/"
}

output "wafv2_web_acl_arn" {
  description = "ARN of the WAF web ACL in front of the API."
  value       = aws_wafv2_web_acl.this.arn
}

output "api_gateway_stage_invoke_url" {
  description = "Invoke URL of the v1 stage on the default execute-api endpoint, which is disabled: clients use api_gateway_domain_name_url."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_gateway_rest_api_id" {
  description = "ID of the intake REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "kinesis_stream_name" {
  description = "Name of the outreach events stream."
  value       = aws_kinesis_stream.this.name
}

output "kinesis_firehose_delivery_stream_name" {
  description = "Name of the Firehose delivery stream."
  value       = aws_kinesis_firehose_delivery_stream.this.name
}

output "firehose_iam_role_arn" {
  description = "Role of the Firehose delivery stream (for the PHI key policy)."
  value       = aws_iam_role.firehose.arn
}

output "intake_iam_role_arn" {
  description = "Execution role of the outreach_intake Lambda (for key policies)."
  value       = module.intake.iam_role_arn
}

output "intake_lambda_function_name" {
  description = "Name of the outreach_intake Lambda."
  value       = module.intake.lambda_function_name
}
