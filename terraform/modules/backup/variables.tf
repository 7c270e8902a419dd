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

variable "dynamodb_table_arns" {
  description = "DynamoDB tables holding PHI (treatments, alert suppression) to back up."
  type        = list(string)
  nullable    = false
}

variable "phi_bucket_arns" {
  description = "S3 buckets holding PHI to back up (they are versioned, as AWS Backup for S3 requires)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for b in var.phi_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", b))])
    error_message = "phi_bucket_arns must hold S3 bucket ARNs."
  }
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) that encrypts the vault's recovery points."
  type        = string
  nullable    = false
}

variable "security_topic_arn" {
  description = "SNS topic (the audit module's security topic) that hears of failed backup jobs."
  type        = string
  nullable    = false
}

variable "retention_days" {
  description = "Days each daily recovery point is kept; also the vault lock's minimum retention."
  type        = number
  default     = 35
  nullable    = false

  validation {
    condition     = var.retention_days >= 7
    error_message = "retention_days must be at least 7."
  }
}

variable "max_retention_days" {
  description = "Longest retention the vault lock allows."
  type        = number
  default     = 400
  nullable    = false
}

variable "vault_lock_mode" {
  description = "compliance (immutable after the grace period, required in prod) or governance (removable by privileged users, for throwaway environments)."
  type        = string
  default     = "compliance"
  nullable    = false

  validation {
    condition     = contains(["compliance", "governance"], var.vault_lock_mode)
    error_message = "vault_lock_mode must be compliance or governance."
  }

  validation {
    condition     = var.vault_lock_mode == "compliance" || var.context.environment != "prod"
    error_message = "prod keeps backups immutable: vault_lock_mode must be compliance."
  }
}

variable "vault_lock_grace_days" {
  description = "Days a compliance-mode lock can still be changed or removed before it becomes immutable."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.vault_lock_grace_days >= 3
    error_message = "vault_lock_grace_days must be at least 3 (AWS minimum)."
  }
}

variable "delegated_to_security_account_id" {
  description = "The organisation's security account whose backup policy covers these resources instead of this module (null: backed up here). Backups cannot be switched off."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.delegated_to_security_account_id == null || can(regex("^[0-9]{12}$", var.delegated_to_security_account_id))
    error_message = "delegated_to_security_account_id must be a 12-digit account ID."
  }

  validation {
    condition     = var.delegated_to_security_account_id != var.context.account_id
    error_message = "Backups delegated to this account would be taken nowhere: name the organisation's security account."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete the vault with its recovery points (throwaway environments only)."
  type        = bool
  default     = false
  nullable    = false
}
