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
  description = "Raw zone bucket; events land under care_mgmt/dt=YYYY-MM-DD/."
  type        = string
  nullable    = false
}

variable "intake_code" {
  description = "Package of the outreach_intake Lambda (s3_bucket, s3_key, optional s3_object_version)."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false
}

variable "request_schema" {
  description = "The outreach event contract (decoded JSON Schema): jobs/src/carelake/contracts/outreach_event.schema.json. Keywords API Gateway's draft 4 does not know ($-keys, x- keys, format) are dropped."
  type        = any
  nullable    = false

  validation {
    condition     = can(keys(var.request_schema.properties))
    error_message = "request_schema must be an object schema with properties."
  }
}

variable "authorization_type" {
  description = "How API callers authenticate: AWS_IAM (SigV4) or COGNITO_USER_POOLS."
  type        = string
  default     = "AWS_IAM"
  nullable    = false

  validation {
    condition     = contains(["AWS_IAM", "COGNITO_USER_POOLS"], var.authorization_type)
    error_message = "authorization_type must be AWS_IAM or COGNITO_USER_POOLS (never NONE)."
  }
}

variable "cognito_user_pool_arns" {
  description = "User pools for COGNITO_USER_POOLS authorisation."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.cognito_user_pool_arns) > 0 || var.authorization_type != "COGNITO_USER_POOLS"
    error_message = "COGNITO_USER_POOLS authorisation needs at least one user pool ARN."
  }
}

variable "custom_domain" {
  description = "The API's only endpoint: domain_name, and route53_zone_id of the public hosted zone that holds it (the certificate is DNS-validated there and an alias record points at the API)."
  type = object({
    domain_name     = string
    route53_zone_id = string
  })
  nullable = false

  validation {
    condition     = can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.custom_domain.domain_name))
    error_message = "custom_domain.domain_name must be a lower-case DNS name such as intake.dev.example.org."
  }
}

variable "waf_rate_limit_per_5_minutes" {
  description = "Requests one client address may make in 5 minutes before WAF blocks it."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.waf_rate_limit_per_5_minutes >= 10 && var.waf_rate_limit_per_5_minutes <= 2000000000
    error_message = "waf_rate_limit_per_5_minutes must be between 10 and 2000000000."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second the API accepts."
  type        = number
  default     = 50
  nullable    = false
}

variable "throttling_burst_limit" {
  description = "Burst of requests the API accepts."
  type        = number
  default     = 100
  nullable    = false
}

variable "stream_retention_hours" {
  description = "Hours the Kinesis stream keeps records."
  type        = number
  default     = 48
  nullable    = false

  validation {
    condition     = var.stream_retention_hours >= 24 && var.stream_retention_hours <= 8760
    error_message = "stream_retention_hours must be between 24 and 8760."
  }
}

variable "firehose_buffering_interval" {
  description = "Seconds Firehose buffers before writing a file."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.firehose_buffering_interval >= 60 && var.firehose_buffering_interval <= 900
    error_message = "firehose_buffering_interval must be between 60 and 900."
  }
}

variable "manage_api_gateway_account" {
  description = "Set the account's API Gateway CloudWatch Logs role (one per account and region; turn off if another stack manages it)."
  type        = bool
  default     = true
  nullable    = false
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for the stream, the delivered files and the intake dead-letter queue."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the access, Lambda and delivery logs."
  type        = string
  nullable    = false
}

variable "artifacts_kms_key_arn" {
  description = "KMS key (artifacts class) for the Lambda environment."
  type        = string
  nullable    = false
}

variable "subnet_ids" {
  description = "Private subnets of the intake Lambda."
  type        = list(string)
  nullable    = false
}

variable "security_group_ids" {
  description = "Security groups of the intake Lambda."
  type        = list(string)
  nullable    = false
}

variable "alarm_topic_arn" {
  description = "SNS topic for alarms (Lambda errors, stale delivery)."
  type        = string
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days to keep access and delivery logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365."
  }
}
