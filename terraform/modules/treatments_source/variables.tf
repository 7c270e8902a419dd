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

variable "raw_bucket_name" {
  description = "Raw zone bucket; exports land under treatments/dt=YYYY-MM-DD/."
  type        = string
  nullable    = false
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for the table and the exported files."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the state machine's logs."
  type        = string
  nullable    = false
}

variable "export_schedule" {
  description = "EventBridge Scheduler expression of the export (UTC)."
  type        = string
  default     = "cron(0 5 * * ? *)"
  nullable    = false
}

variable "export_schedule_enabled" {
  description = "Whether the export schedule is active."
  type        = bool
  default     = true
  nullable    = false
}

variable "export_window_hours" {
  description = "Hours of changes each export covers (the time between scheduled runs)."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.export_window_hours >= 1 && var.export_window_hours <= 24
    error_message = "export_window_hours must be between 1 and 24 (DynamoDB incremental export limits)."
  }
}

variable "deletion_protection_enabled" {
  description = "Protect the treatments table from deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_topic_arn" {
  description = "SNS topic for the export failure alarm."
  type        = string
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days to keep the state machine's logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365."
  }
}
