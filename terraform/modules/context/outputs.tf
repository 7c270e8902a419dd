output "context" {
  description = "Naming context every module takes: project, environment, name_prefix, account_id, region, partition, permissions_boundary_arn (the bootstrap stack's workload boundary every role carries)."
  value       = local.context
}

output "name_prefix" {
  description = "Prefix of every resource name, <project>-<environment>."
  value       = local.name_prefix
}

output "default_tags" {
  description = "Tags for the AWS provider's default_tags block (Project, Environment, Owner, CostCenter, ManagedBy)."
  value       = local.default_tags
}
