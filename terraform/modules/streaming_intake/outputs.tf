output "api_gateway_stage_invoke_url" {
  description = "Invoke URL of the v1 stage; POST events to <url>/outreach-events."
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
