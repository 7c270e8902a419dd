output "cloudtrail_arn" {
  description = "ARN of the trail (built from its name)."
  value       = local.trail_arn
}

output "audit_s3_bucket_name" {
  description = "Bucket holding the trail files."
  value       = aws_s3_bucket.this.bucket
}

output "audit_s3_bucket_arn" {
  description = "ARN of the trail bucket."
  value       = local.bucket_arn
}

output "cloudtrail_cloudwatch_log_group_name" {
  description = "Log group receiving the trail."
  value       = aws_cloudwatch_log_group.this.name
}

output "security_alerts_sns_topic_arn" {
  description = "Topic of the security alarms."
  value       = aws_sns_topic.this.arn
}

output "cloudwatch_metric_alarm_names" {
  description = "Security alarms by event."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name }
}
