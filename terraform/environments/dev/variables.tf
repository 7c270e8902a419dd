# What this root takes: the values in terraform.tfvars, the artifact version CI passes
# (-var), the account, and the emulator settings at the end. Each is passed to the platform module, which documents and
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

variable "local_artifacts_dir" {
  description = "Upload this folder (make package's dist/) during the apply, for local or emulator runs; null for real deploys, where CI uploads dist/ first. prod has no such variable."
  type        = string
  default     = null
  nullable    = true
}

# ---------------------------------------------------------------------------------
# Provider settings for a local emulator (make tf-emulator). The defaults are the
# provider's own, so a real deploy is unaffected. Only dev has them: the prod root's
# provider always talks to AWS itself.
# ---------------------------------------------------------------------------------
variable "aws_endpoint_urls" {
  description = "Endpoint URL by provider service key (s3, iam, sts, glue, ...); empty for AWS itself."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "aws_skip_credentials_validation" {
  description = "Skip the STS credentials check (fake credentials against an emulator)."
  type        = bool
  default     = false
  nullable    = false
}

variable "aws_skip_requesting_account_id" {
  description = "Do not ask AWS for the account ID (set account_id instead)."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.aws_skip_requesting_account_id || var.account_id != null
    error_message = "aws_skip_requesting_account_id needs account_id."
  }
}

variable "aws_skip_metadata_api_check" {
  description = "Do not look for credentials in the EC2 instance metadata service."
  type        = bool
  default     = false
  nullable    = false
}

variable "aws_skip_region_validation" {
  description = "Accept a region name the provider does not know."
  type        = bool
  default     = false
  nullable    = false
}

variable "aws_s3_use_path_style" {
  description = "Address S3 buckets by path (http://host/bucket) instead of virtual host."
  type        = bool
  default     = false
  nullable    = false
}

variable "aws_max_retries" {
  description = "Maximum API retries (null for the provider's default of 25)."
  type        = number
  default     = null
  nullable    = true
}

variable "aws_insecure" {
  description = "Skip TLS certificate verification (an emulator's self-signed certificate only)."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.aws_insecure || length(var.aws_endpoint_urls) > 0
    error_message = "aws_insecure is only for a local emulator (aws_endpoint_urls set)."
  }
}

variable "aws_custom_ca_bundle" {
  description = "CA bundle to trust (e.g. an emulator's certificate); null for the system's."
  type        = string
  default     = null
  nullable    = true
}
