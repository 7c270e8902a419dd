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

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the trail, its bucket, log group and the security topic."
  type        = string
  nullable    = false
}

variable "access_logs_bucket_name" {
  description = "Bucket that receives the trail bucket's S3 server access logs."
  type        = string
  nullable    = false
}

variable "phi_bucket_arns" {
  description = "Buckets holding PHI: every object read and write in them is logged as a data event."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.phi_bucket_arns) > 0 && alltrue([for b in var.phi_bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", b))])
    error_message = "phi_bucket_arns must hold at least one S3 bucket ARN (without a key part)."
  }
}

variable "phi_dynamodb_table_arns" {
  description = "DynamoDB tables holding PHI: item-level reads and writes are logged as data events."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days to keep the trail in CloudWatch Logs (the bucket keeps it longer)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365."
  }
}

variable "audit_log_expiration_days" {
  description = "Days to keep trail files in S3 (HIPAA documentation retention is six years)."
  type        = number
  default     = 2192
  nullable    = false

  validation {
    condition     = var.audit_log_expiration_days >= 2192
    error_message = "audit_log_expiration_days must be at least 2192 (six years)."
  }
}

variable "security_alert_email_endpoints" {
  description = "E-mail addresses subscribed to the security alarms."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "force_destroy" {
  description = "Let terraform destroy delete the non-empty trail bucket (throwaway environments only)."
  type        = bool
  default     = false
  nullable    = false
}
