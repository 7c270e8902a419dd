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

variable "name" {
  description = "Short function name (e.g. risk_alert); the function is <name_prefix>-<name with - for _>."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{1,40}$", var.name))
    error_message = "name must be lowercase letters, digits and underscores."
  }
}

variable "description" {
  description = "What the function does."
  type        = string
  nullable    = false
}

variable "code" {
  description = "Where the deployment package is: artifacts bucket, key (carelake/<version>/lambdas/<name>.zip) and, when Terraform uploaded it, the object version."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false

  validation {
    condition     = endswith(var.code.s3_key, ".zip")
    error_message = "code.s3_key must name a .zip package."
  }
}

variable "handler" {
  description = "Function entry point."
  type        = string
  default     = "handler.handler"
  nullable    = false
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.11"
  nullable    = false
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256
  nullable    = false
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 60
  nullable    = false
}

variable "reserved_concurrent_executions" {
  description = "Concurrency cap (also bounds the blast radius of a bad deploy)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.reserved_concurrent_executions >= 1
    error_message = "reserved_concurrent_executions must be at least 1 (0 would disable the function)."
  }
}

variable "environment_variables" {
  description = "Environment variables (encrypted with environment_kms_key_arn). Never secrets or PHI."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "environment_kms_key_arn" {
  description = "KMS key that encrypts the environment variables (artifacts class)."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the function's log group (logs class)."
  type        = string
  nullable    = false
}

variable "dlq_kms_key_arn" {
  description = "KMS key that encrypts the dead-letter queue."
  type        = string
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days to keep the function's logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365."
  }
}

variable "subnet_ids" {
  description = "Private subnets the function runs in."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must not be empty: functions run inside the VPC."
  }
}

variable "security_group_ids" {
  description = "Security groups of the function."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must not be empty."
  }
}

variable "policy_json" {
  description = "IAM policy (JSON) with exactly what the function's code needs; logs, dead letters, X-Ray and VPC access are added by the module."
  type        = string
  nullable    = false

  validation {
    condition     = can(jsondecode(var.policy_json).Statement)
    error_message = "policy_json must be an IAM policy document."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic (pipeline failures) for the error and dead-letter alarms."
  type        = string
  nullable    = false
}

variable "data_classification" {
  description = "DataClassification tag of the function and its queue: phi if it touches PHI."
  type        = string
  default     = "phi"
  nullable    = false

  validation {
    condition     = contains(["phi", "non-phi"], var.data_classification)
    error_message = "data_classification must be phi or non-phi."
  }
}
