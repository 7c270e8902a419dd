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

variable "key_administrator_arns" {
  description = "IAM roles that administer the keys (policy, rotation, deletion); they get no encrypt/decrypt rights. The account root is always added for key administration only."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.key_administrator_arns) > 0 && alltrue([for a in var.key_administrator_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/", a))])
    error_message = "key_administrator_arns must hold at least one IAM role or user ARN."
  }
}

variable "key_user_arns" {
  description = "IAM roles allowed to encrypt and decrypt with each key (phi, logs, artifacts). Only these roles and the services listed in the key policy can use a key."
  type = object({
    phi       = optional(list(string), [])
    logs      = optional(list(string), [])
    artifacts = optional(list(string), [])
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([
      for a in concat(var.key_user_arns.phi, var.key_user_arns.logs, var.key_user_arns.artifacts) :
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))
    ])
    error_message = "key_user_arns must hold IAM role ARNs only (no wildcards, no account roots)."
  }
}

variable "deployer_arns" {
  description = "Roles that run terraform apply and upload artifacts: may create grants for AWS resources and encrypt with every key, decrypt with the artifacts key only."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.deployer_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "deployer_arns must hold IAM role ARNs only."
  }
}

variable "phi_via_service_user_arns" {
  description = "Roles (personas) that may use the PHI key only through Athena, Glue and S3 (kms:ViaService), for the Data Catalog and their query results."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.phi_via_service_user_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "phi_via_service_user_arns must hold IAM role ARNs only."
  }
}

variable "rotation_period_in_days" {
  description = "Days between automatic key rotations (rotation is always on)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560
    error_message = "rotation_period_in_days must be between 90 and 2560."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a key scheduled for deletion is deleted."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}
