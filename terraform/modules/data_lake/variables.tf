variable "context" {
  description = "Naming context from the context module."
  type = object({
    project     = string
    environment = string
    name_prefix = string
    account_id  = string
    region      = string
    partition   = string
  })
  nullable = false
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for the raw, bronze, silver, gold, quarantine and athena-results buckets."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.phi_kms_key_arn))
    error_message = "phi_kms_key_arn must be a KMS key ARN."
  }
}

variable "artifacts_kms_key_arn" {
  description = "KMS key (artifacts class) for the artifacts bucket."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.artifacts_kms_key_arn))
    error_message = "artifacts_kms_key_arn must be a KMS key ARN."
  }
}

variable "raw_deep_archive_after_days" {
  description = "Days after which raw objects move to S3 Glacier Deep Archive."
  type        = number
  default     = 180
  nullable    = false

  validation {
    condition     = var.raw_deep_archive_after_days >= 1
    error_message = "raw_deep_archive_after_days must be at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire, in every bucket."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "athena_results_expiration_days" {
  description = "Days after which Athena query results (and Glue temporary files) expire."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.athena_results_expiration_days >= 1
    error_message = "athena_results_expiration_days must be at least 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days to keep S3 server access logs (HIPAA asks for six years of audit records)."
  type        = number
  default     = 2192
  nullable    = false

  validation {
    condition     = var.access_log_expiration_days >= 365
    error_message = "access_log_expiration_days must be at least 365."
  }
}

variable "raw_object_lock_enabled" {
  description = "Create the raw bucket with S3 Object Lock (write once, read many). Only takes effect when the bucket is created."
  type        = bool
  default     = false
  nullable    = false
}

variable "raw_object_lock_mode" {
  description = "Default Object Lock retention mode for raw (GOVERNANCE or COMPLIANCE)."
  type        = string
  default     = "GOVERNANCE"
  nullable    = false

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.raw_object_lock_mode)
    error_message = "raw_object_lock_mode must be GOVERNANCE or COMPLIANCE."
  }
}

variable "raw_object_lock_retention_days" {
  description = "Default Object Lock retention for raw objects, in days."
  type        = number
  default     = 2192
  nullable    = false

  validation {
    condition     = var.raw_object_lock_retention_days >= 1
    error_message = "raw_object_lock_retention_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets (throwaway environments only; the roots forbid it in prod)."
  type        = bool
  default     = false
  nullable    = false
}

variable "artifacts_upload" {
  description = "Upload every file under source_dir (e.g. dist/) to the artifacts bucket under key_prefix (e.g. carelake/<version>). Null for real deploys, where CI uploads."
  type = object({
    source_dir = string
    key_prefix = string
  })
  default  = null
  nullable = true

  validation {
    condition     = var.artifacts_upload == null || try(length(fileset(var.artifacts_upload.source_dir, "**")) > 0, false)
    error_message = "artifacts_upload.source_dir must be a folder holding files (run make package first)."
  }
}
