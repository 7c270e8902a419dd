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

variable "admin_arns" {
  description = "Lake Formation administrators (replaces the account's list): platform admins and the deploy role that applies these grants."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.admin_arns) > 0 && alltrue([for a in var.admin_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", a))])
    error_message = "admin_arns must hold at least one IAM role ARN."
  }
}

variable "zone_bucket_arns" {
  description = "Bucket ARN of each lake zone (the data_lake module's zone_s3_bucket_arns), registered with Lake Formation; the zone LF-tag takes its keys."
  type        = map(string)
  nullable    = false

  validation {
    condition     = contains(keys(var.zone_bucket_arns), "gold")
    error_message = "zone_bucket_arns must hold gold (analysts and care coordinators read it)."
  }
}

variable "database_names" {
  description = "Glue database of each zone."
  type        = map(string)
  nullable    = false
}

variable "tables" {
  description = "Catalogued tables (the catalog module's glue_catalog_tables output): zone, database_name, name, data_classification, direct_identifier_columns."
  type = list(object({
    zone                      = string
    database_name             = string
    name                      = string
    data_classification       = string
    direct_identifier_columns = list(string)
  }))
  default  = []
  nullable = false
}

variable "care_coordinator_table_names" {
  description = "Gold tables care coordinators may read (tagged audience=care_coordination)."
  type        = list(string)
  default     = ["high_risk_outreach_list"]
  nullable    = false
}

variable "pipeline_role_arns" {
  description = "Service roles that read and write every zone like a data engineer (e.g. glue_jobs, sql_deploy), by a static key."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "limited_data_set_readers" {
  description = "Principals granted the limited data set (gold tables tagged limited-data-set: exact dates and source ids, 164.514(e)) besides their other grants, by a static key: the IAM role ARN and the reference of the data use agreement it rests on (docs/runbook.md, Limited data set access). Empty: nobody."
  type = map(object({
    principal_arn      = string
    data_use_agreement = string
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for r in values(var.limited_data_set_readers) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", r.principal_arn))])
    error_message = "Every limited_data_set_readers principal_arn must be an IAM role ARN: no user, wildcard or account root."
  }

  validation {
    condition     = alltrue([for r in values(var.limited_data_set_readers) : length(trimspace(r.data_use_agreement)) > 0])
    error_message = "Every limited_data_set_readers entry must name its data use agreement."
  }
}

variable "tag_associator_role_arns" {
  description = "Roles that may assign the data_classification and audience LF-tags (the SQL view deployment), by a static key."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "persona_trusted_principal_arns" {
  description = "Principals (e.g. IAM Identity Center roles) allowed to assume each persona role: data_engineer, analyst, care_coordinator, auditor. Every persona needs at least one; the account root and wildcards are refused, so IAM policies elsewhere can never widen who assumes a persona."
  type        = map(list(string))
  nullable    = false

  validation {
    condition     = length(setsubtract(["data_engineer", "analyst", "care_coordinator", "auditor"], keys(var.persona_trusted_principal_arns))) == 0 && length(setsubtract(keys(var.persona_trusted_principal_arns), ["data_engineer", "analyst", "care_coordinator", "auditor"])) == 0
    error_message = "persona_trusted_principal_arns must have exactly the keys data_engineer, analyst, care_coordinator and auditor."
  }

  validation {
    condition     = alltrue([for arns in values(var.persona_trusted_principal_arns) : length(arns) > 0])
    error_message = "Every persona needs at least one trusted principal: an empty list would leave the role to the whole account."
  }

  validation {
    condition     = alltrue([for a in flatten(values(var.persona_trusted_principal_arns)) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "persona_trusted_principal_arns must hold IAM role or user ARNs: no wildcard, no account root."
  }
}

variable "athena_workgroups" {
  description = "Athena workgroup of each persona (the analytics module's athena_workgroups output): arn and output_location (s3://bucket/prefix/)."
  type = map(object({
    arn             = string
    output_location = string
  }))
  nullable = false

  validation {
    condition     = length(setsubtract(["data_engineer", "analyst", "care_coordinator", "auditor"], keys(var.athena_workgroups))) == 0
    error_message = "athena_workgroups must hold data_engineer, analyst, care_coordinator and auditor."
  }

  validation {
    condition     = alltrue([for w in values(var.athena_workgroups) : can(regex("^s3://[^/]+/.+/$", w.output_location))])
    error_message = "Every output_location must be s3://<bucket>/<prefix>/."
  }
}

variable "audit_log_bucket_arns" {
  description = "Buckets the auditor reads: CloudTrail logs and S3 access logs."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "quicksight" {
  description = "QuickSight's reads through Athena (from the analytics module): principal_arn, the QuickSight group or user that owns the data sets and refreshes SPICE, and glue_table_names, the gold views and tables it reads (quicksight_glue_table_names). It gets DESCRIBE on the gold database and SELECT on exactly those objects, direct-identifier columns excluded. Null for no QuickSight."
  type = object({
    principal_arn    = string
    glue_table_names = list(string)
  })
  default  = null
  nullable = true

  validation {
    condition     = var.quicksight == null || can(regex("^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:[0-9]{12}:(group|user)/[^*]+$", try(var.quicksight.principal_arn, "")))
    error_message = "quicksight.principal_arn must be a QuickSight group or user ARN (no wildcard)."
  }
}
