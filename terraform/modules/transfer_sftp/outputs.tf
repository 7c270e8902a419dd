output "transfer_server_id" {
  description = "ID of the SFTP server."
  value       = aws_transfer_server.this.id
}

output "transfer_server_endpoint" {
  description = "Endpoint host name of the SFTP server."
  value       = aws_transfer_server.this.endpoint
}

output "transfer_user_home_directories" {
  description = "Logical home directory target of each partner."
  value       = { for p, u in aws_transfer_user.this : p => one(u.home_directory_mappings).target }
}

output "partners_iam_role_arn" {
  description = "Role of the partner sessions (for the PHI key policy)."
  value       = aws_iam_role.partners.arn
}

output "arrival_iam_role_arn" {
  description = "Execution role of the sftp_arrival Lambda (for key policies)."
  value       = module.arrival.iam_role_arn
}

output "arrival_lambda_function_name" {
  description = "Name of the sftp_arrival Lambda."
  value       = module.arrival.lambda_function_name
}
