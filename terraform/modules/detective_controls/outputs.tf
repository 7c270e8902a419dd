output "detective_controls" {
  description = "Who runs each control: \"managed here\" or \"delegated to <security account ID>\"."
  value       = { for c in local.controls : c => local.managed[c] ? "managed here" : "delegated to ${var.delegated_controls[c]}" }
}

output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector (null when delegated)."
  value       = one(aws_guardduty_detector.this[*].id)
}

output "config_iam_role_arn" {
  description = "Role of the Config recorder (a user of the logs key; null when delegated)."
  value       = one(aws_iam_role.this[*].arn)
}

output "config_conformance_pack_name" {
  description = "Name of the HIPAA Security conformance pack (null when delegated)."
  value       = one(aws_config_conformance_pack.this[*].name)
}

output "config_conformance_pack_rule_names" {
  description = "The managed Config rules of the conformance pack."
  value       = sort(keys(local.conformance_rules))
}

output "macie_service_linked_role_arn" {
  description = "Macie's service-linked role, which must decrypt the PHI buckets to scan them (null when delegated). Known only once Macie is enabled."
  value       = local.managed["macie"] ? local.macie_role_arn : null
  depends_on  = [aws_macie2_account.this]
}

output "cloudwatch_event_rule_names" {
  description = "EventBridge rules routing findings to the security topic, by source."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}
