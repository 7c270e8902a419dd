output "iam_role_arn" {
  description = "ARN of the break-glass role."
  value       = aws_iam_role.this.arn
}

output "iam_role_name" {
  description = "Name of the break-glass role."
  value       = aws_iam_role.this.name
}

output "cloudwatch_metric_alarm_name" {
  description = "Alarm raised by any assumption of the role."
  value       = aws_cloudwatch_metric_alarm.this.alarm_name
}
