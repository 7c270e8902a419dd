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

variable "trusted_principal_arns" {
  description = "The people (IAM roles or users) who may break the glass: at least one, never the account root or a wildcard."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for a in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "trusted_principal_arns must hold at least one IAM role or user ARN: no wildcard, no account root."
  }
}

variable "mfa_max_age_seconds" {
  description = "How recent the MFA sign-in must be to assume the role."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.mfa_max_age_seconds > 0 && var.mfa_max_age_seconds <= 3600
    error_message = "mfa_max_age_seconds must be between 1 and 3600."
  }
}

variable "security_topic_arn" {
  description = "SNS topic (the audit module's security topic) told of every assumption."
  type        = string
  nullable    = false
}

variable "trail_log_group_name" {
  description = "Log group of the multi-region CloudTrail trail (the audit module's), watched for assumptions in any region."
  type        = string
  nullable    = false
}
