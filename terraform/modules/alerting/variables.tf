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

variable "gold_bucket_name" {
  description = "Gold zone bucket; the alert feed is under alert_feed/high_risk/."
  type        = string
  nullable    = false
}

variable "risk_alert_code" {
  description = "Package of the risk_alert Lambda (s3_bucket, s3_key, optional s3_object_version)."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false
}

variable "failure_notifier_code" {
  description = "Package of the failure_notifier Lambda (s3_bucket, s3_key, optional s3_object_version)."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false
}

variable "risk_threshold" {
  description = "LACE score at or over which a patient is alerted (RISK_THRESHOLD)."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.risk_threshold >= 0 && var.risk_threshold <= 19
    error_message = "risk_threshold must be a LACE score (0-19)."
  }
}

variable "suppression_hours" {
  description = "Hours during which a patient is not alerted again (SUPPRESSION_HOURS)."
  type        = number
  default     = 72
  nullable    = false

  validation {
    condition     = var.suppression_hours >= 1
    error_message = "suppression_hours must be at least 1."
  }
}

variable "risk_alert_schedule" {
  description = "EventBridge schedule of the risk_alert Lambda (after the daily workflow)."
  type        = string
  default     = "cron(0 9 * * ? *)"
  nullable    = false
}

variable "runbook_base_url" {
  description = "Base URL of docs/runbook.md that failure notices link to (RUNBOOK_BASE_URL)."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.runbook_base_url, "https://")
    error_message = "runbook_base_url must be an https:// URL."
  }
}

variable "risk_alert_email_endpoints" {
  description = "E-mail addresses subscribed to risk alerts (they confirm by mail)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "pipeline_failure_email_endpoints" {
  description = "E-mail addresses subscribed to pipeline failures and alarms."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "slack" {
  description = "Slack workspace (team_id) and channel (channel_id) for pipeline failures through AWS Chatbot; null for none. Risk alerts never go to Slack."
  type = object({
    team_id    = string
    channel_id = string
  })
  default  = null
  nullable = true
}

variable "deletion_protection_enabled" {
  description = "Protect the suppression table from deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for the risk alert topic and the suppression table."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the pipeline failures topic, logs and dead-letter queues."
  type        = string
  nullable    = false
}

variable "artifacts_kms_key_arn" {
  description = "KMS key (artifacts class) for the Lambda environments."
  type        = string
  nullable    = false
}

variable "subnet_ids" {
  description = "Private subnets of the Lambdas."
  type        = list(string)
  nullable    = false
}

variable "security_group_ids" {
  description = "Security groups of the Lambdas."
  type        = list(string)
  nullable    = false
}
