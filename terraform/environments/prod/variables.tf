# What this root takes: the values in terraform.tfvars, the artifact version CI passes
# (-var) and the account. Each is passed to the platform module, which documents and
# validates it (terraform/modules/platform/README.md).
variable "region" {
  description = "AWS region of the environment."
  type        = string
  nullable    = false
}

variable "account_id" {
  description = "AWS account ID; null reads it with sts:GetCallerIdentity. When set, the provider refuses any other account."
  type        = string
  default     = null
  nullable    = true
}

variable "artifact_version" {
  description = "Version of the packaged jobs, SQL and Lambdas to run (CI passes the version it built)."
  type        = string
  nullable    = false
}

variable "owner" {
  description = "Owner tag: the team or mailbox that answers for the environment."
  type        = string
  nullable    = false
}

variable "cost_center" {
  description = "CostCenter tag."
  type        = string
  nullable    = false
}

variable "availability_zones" {
  description = "Availability zones of the private subnets (at least two)."
  type        = list(string)
  nullable    = false
}

variable "vpc_cidr_block" {
  description = "CIDR block of the data-plane VPC."
  type        = string
  nullable    = false
}

variable "key_administrator_role_names" {
  description = "IAM roles (names) that administer the KMS keys."
  type        = list(string)
  nullable    = false
}

variable "lake_formation_admin_role_names" {
  description = "IAM roles (names) that are Lake Formation administrators besides the deploy role."
  type        = list(string)
  nullable    = false
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows deploy this environment."
  type        = string
  nullable    = false
}

variable "runbook_base_url" {
  description = "Base URL of docs/runbook.md that failure notices link to."
  type        = string
  nullable    = false
}

variable "sftp_partners" {
  description = "SFTP partners by partner_id with their SSH public keys."
  type = map(object({
    ssh_public_keys = list(string)
  }))
  default  = {}
  nullable = false
}

variable "sftp_allowed_cidrs" {
  description = "Partner networks (over VPN/Direct Connect) allowed to reach SFTP."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "persona_trusted_role_names" {
  description = "IAM roles (names, with path if any) whose people may assume each persona (data_engineer, analyst, care_coordinator, auditor); every persona needs one."
  type        = map(list(string))
  nullable    = false
}

variable "break_glass_role_names" {
  description = "IAM roles (names) of the people who may assume the break-glass role."
  type        = list(string)
  nullable    = false
}

variable "detective_controls_delegated_to" {
  description = "Detective controls the organisation's security account runs instead (control => account ID); the rest are managed here."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "backup_delegated_to_security_account_id" {
  description = "The security account whose backup policy covers the PHI data instead; null backs up here."
  type        = string
  default     = null
  nullable    = true
}

variable "intake_domain_name" {
  description = "The intake API's domain (its only endpoint)."
  type        = string
  nullable    = false
}

variable "intake_route53_zone_id" {
  description = "Public Route 53 hosted zone that holds intake_domain_name."
  type        = string
  nullable    = false
}

variable "care_team_assignments" {
  description = "Which care coordinator covers which clinic in this environment (coordinator_id, clinic_id = the facility's organization id, optional sign-in user_name)."
  type = list(object({
    coordinator_id = string
    clinic_id      = string
    user_name      = optional(string)
  }))
  default  = []
  nullable = false
}
