# The one naming and tagging context. It creates nothing: every other module takes
# its `context` output, names resources "<name_prefix>-<thing>" and tags them with
# DataClassification, while the provider's default_tags (this module's
# `default_tags` output) add Project, Environment, Owner and CostCenter everywhere.
locals {
  name_prefix = "${var.project}-${var.environment}"

  default_tags = merge(var.extra_tags, {
    Project     = var.project
    Environment = var.environment
    Owner       = var.owner
    CostCenter  = var.cost_center
    ManagedBy   = "terraform"
  })

  context = {
    project     = var.project
    environment = var.environment
    name_prefix = local.name_prefix
    account_id  = var.account_id
    region      = var.region
    partition   = var.partition
    # The bootstrap stack's workload boundary (<name_prefix>-workload-boundary): the apply
    # role may create and change only roles that carry it, so every role here does.
    permissions_boundary_arn = "arn:${var.partition}:iam::${var.account_id}:policy/${local.name_prefix}-workload-boundary"
  }
}
