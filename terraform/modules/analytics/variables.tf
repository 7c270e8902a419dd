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
  description = "Folder holding views/*.sql (the repository's sql/)."
  type        = string
  nullable    = false
}

variable "views_database_name" {
  description = "Database the views are created in and resolved against (the gold database)."
  type        = string
  nullable    = false
}

variable "database_names" {
  description = "Every lake database (views may read any of them; DDL may create tables in them)."
  type        = list(string)
  nullable    = false
}

variable "quicksight" {
  description = "QuickSight (needs an Enterprise subscription): the analyst and care-team dashboards over the views, SPICE data sets refreshed daily, row-level security per clinic. owner_arn: the QuickSight group or user that owns them and whose identity refreshes SPICE (Lake Formation grants go to it); analyst_reader_arns and care_team_reader_arns: who may view each dashboard; rls_table_name: the gold table of coordinators (their QuickSight user name is their coordinator_id) and the clinics they serve; refresh_time_of_day (HH:MM in refresh_timezone): the daily refresh, after the gold job. Null for no QuickSight."
  type = object({
    owner_arn             = string
    analyst_reader_arns   = optional(list(string), [])
    care_team_reader_arns = optional(list(string), [])
    rls_table_name        = optional(string, "care_team_assignment")
    refresh_time_of_day   = optional(string, "07:00")
    refresh_timezone      = optional(string, "UTC")
  })
  default  = null
  nullable = true

  validation {
    condition = var.quicksight == null || alltrue([
      for a in try(concat([var.quicksight.owner_arn], var.quicksight.analyst_reader_arns, var.quicksight.care_team_reader_arns), ["x"]) :
      can(regex("^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(group|user)/[^*]+$", a))
    ])
    error_message = "quicksight owner and reader ARNs must be QuickSight group or user ARNs (no wildcard)."
  }

  validation {
    condition     = var.quicksight == null || can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", try(var.quicksight.refresh_time_of_day, "")))
    error_message = "quicksight.refresh_time_of_day must be HH:MM (24-hour)."
  }

  validation {
    condition     = var.quicksight == null || can(regex("^[a-z][a-z0-9_]*$", try(var.quicksight.rls_table_name, "")))
    error_message = "quicksight.rls_table_name must be a gold table name."
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
