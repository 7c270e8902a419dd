variable "context" {
  description = "Naming context from the context module."
  type = object({
    project     = string
    environment = string
    name_prefix = string
    account_id  = string
    region      = string
    partition   = string
    # every role this module creates carries it (the bootstrap apply role creates no other)
    permissions_boundary_arn = string
  })
  nullable = false
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows may assume the roles."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, without wildcards."
  }
}

variable "github_environment" {
  description = "GitHub environment of the deploy job (defaults to the context's environment)."
  type        = string
  default     = null
  nullable    = true
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider here (false when the bootstrap stack created it)."
  type        = bool
  default     = false
  nullable    = false
}

variable "oidc_provider_arn" {
  description = "ARN of an existing GitHub OIDC provider; defaults to the account's token.actions.githubusercontent.com provider."
  type        = string
  default     = null
  nullable    = true
}

variable "state_bucket_name" {
  description = "Terraform state bucket (from the bootstrap stack)."
  type        = string
  nullable    = false
}

variable "state_kms_key_alias" {
  description = "Alias of the state bucket's KMS key (from the bootstrap stack); access is granted by alias, so no key ID is needed here."
  type        = string
  default     = "alias/carelake-tfstate"
  nullable    = false

  validation {
    condition     = startswith(var.state_kms_key_alias, "alias/")
    error_message = "state_kms_key_alias must start with alias/."
  }
}

variable "phi_s3_bucket_arns" {
  description = "PHI buckets whose objects the plan role must never read."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.phi_s3_bucket_arns) > 0
    error_message = "phi_s3_bucket_arns must not be empty."
  }
}

variable "phi_kms_key_arn" {
  description = "PHI key the plan role must never decrypt with."
  type        = string
  nullable    = false
}
