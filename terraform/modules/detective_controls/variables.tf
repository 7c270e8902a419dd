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

variable "delegated_controls" {
  description = "Controls run by the organisation's security account instead of this module, by control (guardduty, securityhub, config, macie, access_analyzer) => that account's ID. A control not named here is managed here; none can be switched off."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = length(setsubtract(keys(var.delegated_controls), ["guardduty", "securityhub", "config", "macie", "access_analyzer"])) == 0
    error_message = "delegated_controls keys must be guardduty, securityhub, config, macie or access_analyzer."
  }

  validation {
    condition     = alltrue([for a in values(var.delegated_controls) : can(regex("^[0-9]{12}$", a))])
    error_message = "delegated_controls must name the security account by its 12-digit ID."
  }

  validation {
    condition     = !contains(values(var.delegated_controls), var.context.account_id)
    error_message = "A control delegated to this account would run nowhere: delegated_controls must name the organisation's security account."
  }
}

variable "security_topic_arn" {
  description = "SNS topic (the audit module's security topic) that receives every finding."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:", var.security_topic_arn))
    error_message = "security_topic_arn must be an SNS topic ARN."
  }
}

variable "delivery_bucket_name" {
  description = "Bucket that receives AWS Config snapshots and history under config/ (the audit module's trail bucket)."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) that encrypts the Config snapshots."
  type        = string
  nullable    = false
}

variable "phi_bucket_names" {
  description = "Buckets holding PHI, scanned by Macie."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.phi_bucket_names) > 0
    error_message = "phi_bucket_names must name at least one bucket."
  }
}

variable "macie_sampling_percentage" {
  description = "Share of objects (percent) Macie's weekly discovery job inspects in the PHI buckets."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.macie_sampling_percentage >= 1 && var.macie_sampling_percentage <= 100
    error_message = "macie_sampling_percentage must be between 1 and 100."
  }
}

variable "record_global_resources" {
  description = "Record global resources (IAM) in this region's Config recorder; true in exactly one region of the account."
  type        = bool
  default     = true
  nullable    = false
}
