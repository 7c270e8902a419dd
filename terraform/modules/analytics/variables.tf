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

variable "personas" {
  description = "Personas that get their own Athena workgroup (a pipeline workgroup is always added)."
  type        = list(string)
  default     = ["data_engineer", "analyst", "care_coordinator", "auditor"]
  nullable    = false
}

variable "athena_results_bucket_name" {
  description = "Bucket for query results; each workgroup writes under <persona>/."
  type        = string
  nullable    = false
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Largest scan a single query may do, in bytes (Athena cancels it beyond)."
  type        = number
  default     = 107374182400
  nullable    = false

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "bytes_scanned_cutoff_per_query must be at least 10 MB (Athena's minimum)."
  }
}

variable "sql_dir" {
  description = "Folder holding ddl/*.sql and views/*.sql (the repository's sql/)."
  type        = string
  nullable    = false
}

variable "views_database_name" {
  description = "Database the views are created in and resolved against (the gold database)."
  type        = string
  nullable    = false
}

variable "managed_table_names" {
  description = "Tables Terraform already manages (<zone>.<table>, from the catalog); their sql/ddl/<zone>.<table>.sql files are not run."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "database_names" {
  description = "Every lake database (views may read any of them; DDL may create tables in them)."
  type        = list(string)
  nullable    = false
}

variable "catalog_tables" {
  description = "Catalog tables (zone, name, columns) for QuickSight dataset columns."
  type = list(object({
    zone = string
    name = string
    columns = list(object({
      name = string
      type = string
    }))
  }))
  default  = []
  nullable = false
}

variable "quicksight" {
  description = "QuickSight data source and datasets: owner_arn (user or group ARN), dataset_table_names (gold tables), rls_table_name (gold table with UserName/GroupName and clinic_id columns). Null for none; needs a QuickSight subscription."
  type = object({
    owner_arn           = string
    dataset_table_names = list(string)
    rls_table_name      = string
  })
  default  = null
  nullable = true

  validation {
    condition     = var.quicksight == null || try(length(var.quicksight.dataset_table_names) > 0, false)
    error_message = "quicksight.dataset_table_names must name at least one table."
  }
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for query results."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the state machine's logs."
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

variable "force_destroy" {
  description = "Let terraform destroy delete workgroups that still have saved queries (throwaway environments only)."
  type        = bool
  default     = false
  nullable    = false
}
