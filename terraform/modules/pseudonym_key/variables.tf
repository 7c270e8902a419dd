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

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) that encrypts the secret; the readers must be users of it."
  type        = string
  nullable    = false
}

variable "reader_role_arns" {
  description = "Roles that may read the key (the Glue jobs' role); everyone else is denied."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.reader_role_arns) > 0 && alltrue([for a in var.reader_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "reader_role_arns must hold at least one IAM role ARN."
  }
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once: throwaway environments only). Losing the key means re-keying every patient."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }

  validation {
    condition     = var.recovery_window_in_days >= 7 || var.context.environment != "prod"
    error_message = "prod keeps a deleted patient key recoverable: recovery_window_in_days must be at least 7."
  }
}
