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

variable "vpc_id" {
  description = "VPC of the SFTP endpoint."
  type        = string
  nullable    = false
}

variable "subnet_ids" {
  description = "Private subnets of the SFTP endpoint and the arrival Lambda."
  type        = list(string)
  nullable    = false
}

variable "allowed_cidrs" {
  description = "Partner networks (as seen through VPN/Direct Connect) allowed to reach SFTP on port 22."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.allowed_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "allowed_cidrs must be IPv4 CIDRs and never 0.0.0.0/0."
  }
}

variable "security_policy_name" {
  description = "Transfer Family security policy (ciphers, key exchange, MACs)."
  type        = string
  default     = "TransferSecurityPolicy-2025-03"
  nullable    = false

  validation {
    condition     = contains(["TransferSecurityPolicy-2025-03", "TransferSecurityPolicy-FIPS-2025-03"], var.security_policy_name)
    error_message = "security_policy_name must be TransferSecurityPolicy-2025-03 or its FIPS variant."
  }
}

variable "login_banner" {
  description = "Banner shown before authentication."
  type        = string
  default     = "Authorized use only. Activity is logged. This system handles protected health information."
  nullable    = false
}

variable "partners" {
  description = "SFTP users by partner_id, each with its SSH public keys; a partner's home is claims/partner=<partner_id>/ in raw."
  type = map(object({
    ssh_public_keys = list(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for p in keys(var.partners) : can(regex("^[a-z0-9][a-z0-9-]{2,31}$", p))])
    error_message = "partner ids must be 3-32 lowercase letters, digits or hyphens."
  }

  validation {
    condition     = alltrue(flatten([for p in values(var.partners) : [for k in p.ssh_public_keys : can(regex("^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) ", k))]]))
    error_message = "ssh_public_keys must be OpenSSH public keys (ed25519, ECDSA or RSA)."
  }
}

variable "claims_prefix" {
  description = "Key prefix of partner claims in the raw bucket; partner homes are <claims_prefix>/partner=<id>/ (claims: where claims_to_bronze and the sftp_arrival handler look)."
  type        = string
  default     = "claims"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9_=/-]+$", var.claims_prefix)) && !startswith(var.claims_prefix, "/")
    error_message = "claims_prefix must be a relative key prefix such as claims."
  }
}

variable "raw_bucket_name" {
  description = "Raw zone bucket."
  type        = string
  nullable    = false
}

variable "quarantine_bucket_name" {
  description = "Quarantine zone bucket (QUARANTINE_BUCKET of the arrival Lambda)."
  type        = string
  nullable    = false
}

variable "claims_job_name" {
  description = "Glue job the arrival Lambda starts (CLAIMS_JOB_NAME)."
  type        = string
  nullable    = false
}

variable "max_file_bytes" {
  description = "Largest claims file the arrival Lambda accepts (MAX_FILE_BYTES); larger files are quarantined."
  type        = number
  default     = 524288000
  nullable    = false
}

variable "arrival_code" {
  description = "Package of the sftp_arrival Lambda (s3_bucket, s3_key, optional s3_object_version)."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false
}

variable "lambda_security_group_ids" {
  description = "Security groups of the arrival Lambda."
  type        = list(string)
  nullable    = false
}

variable "artifacts_kms_key_arn" {
  description = "KMS key (artifacts class) for the Lambda environment."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the server and Lambda logs and the dead-letter queue."
  type        = string
  nullable    = false
}

variable "alarm_topic_arn" {
  description = "SNS topic for the arrival Lambda's alarms."
  type        = string
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days to keep the server's logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365."
  }
}
