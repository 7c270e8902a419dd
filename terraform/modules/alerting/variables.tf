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

variable "raw_bucket_name" {
  description = "Raw zone bucket, whose source prefixes the pipeline_health Lambda lists for freshness."
  type        = string
  nullable    = false
}

variable "quarantine_bucket_name" {
  description = "Quarantine zone bucket, where every job writes its run report (run_report/)."
  type        = string
  nullable    = false
}

variable "artifacts_bucket_name" {
  description = "Artifacts bucket: the care team assignment is written under <project>/config/, which the Glue jobs read."
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

variable "pipeline_health_code" {
  description = "Package of the pipeline_health Lambda (s3_bucket, s3_key, optional s3_object_version)."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = optional(string)
  })
  nullable = false
}

variable "risk_threshold" {
  description = "LACE score at or over which a patient is counted (RISK_THRESHOLD). No default: the root passes the one threshold that the gold job also gets."
  type        = number
  nullable    = false

  validation {
    condition     = var.risk_threshold >= 0 && var.risk_threshold <= 19 && floor(var.risk_threshold) == var.risk_threshold
    error_message = "risk_threshold must be a LACE score (an integer 0-19)."
  }
}

variable "suppression_hours" {
  description = "The one suppression window (SUPPRESSION_HOURS): no patient is counted in a notice within this many hours of a successful outreach or of the notice that counted them."
  type        = number
  default     = 24
  nullable    = false

  validation {
    condition     = var.suppression_hours >= 1 && floor(var.suppression_hours) == var.suppression_hours
    error_message = "suppression_hours must be a whole number of hours, at least 1."
  }
}

variable "alert_feed_max_age_hours" {
  description = "A feed whose dt began longer ago than this is stale: reported, never alerted (ALERT_FEED_MAX_AGE_HOURS)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.alert_feed_max_age_hours >= 1 && floor(var.alert_feed_max_age_hours) == var.alert_feed_max_age_hours
    error_message = "alert_feed_max_age_hours must be a whole number of hours, at least 1."
  }
}

variable "worklist_location" {
  description = "Where the notice tells coordinators to look (WORKLIST_LOCATION), e.g. the Athena view and workgroup of the care team worklist. Text only, no link carrying patient data."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.worklist_location)) > 0
    error_message = "worklist_location must say where the worklist is."
  }
}

variable "schedules_enabled" {
  description = "Whether the risk-alert and freshness schedules are active (the roots pass their schedules_enabled, as for the Glue workflow)."
  type        = bool
  default     = true
  nullable    = false
}

variable "risk_alert_schedule" {
  description = "EventBridge schedule of the risk_alert Lambda (after the daily workflow)."
  type        = string
  default     = "cron(0 9 * * ? *)"
  nullable    = false
}

variable "freshness_schedule" {
  description = "EventBridge schedule of the pipeline_health Lambda's freshness check."
  type        = string
  default     = "rate(6 hours)"
  nullable    = false
}

variable "source_freshness" {
  description = "Raw sources the freshness check watches: name => key prefix in the raw bucket (ending in /) and the hours after which no new object means the source stopped sending."
  type = map(object({
    prefix        = string
    max_age_hours = number
  }))
  default = {
    ehr_fhir   = { prefix = "ehr/fhir/", max_age_hours = 26 }
    ehr_csv    = { prefix = "ehr/csv/", max_age_hours = 26 }
    care_mgmt  = { prefix = "care_mgmt/", max_age_hours = 26 }
    treatments = { prefix = "treatments/", max_age_hours = 26 }
    claims     = { prefix = "claims/", max_age_hours = 192 }
  }
  nullable = false

  validation {
    condition     = length(var.source_freshness) > 0 && alltrue([for s in values(var.source_freshness) : endswith(s.prefix, "/") && !startswith(s.prefix, "/") && s.max_age_hours > 0])
    error_message = "source_freshness needs at least one source; each prefix ends in / (no leading /) and max_age_hours is positive."
  }
}

variable "quarantine_rate_threshold" {
  description = "Share of a table's rows quarantined in one run (quarantined / (written + quarantined)) over which the run is reported."
  type        = number
  default     = 0.01
  nullable    = false

  validation {
    condition     = var.quarantine_rate_threshold >= 0 && var.quarantine_rate_threshold <= 1
    error_message = "quarantine_rate_threshold must be between 0 and 1."
  }
}

variable "quarantine_rate_threshold_by_table" {
  description = "Per-table quarantine rate thresholds (table name as the run report has it => 0-1), over quarantine_rate_threshold."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for v in values(var.quarantine_rate_threshold_by_table) : v >= 0 && v <= 1])
    error_message = "Every quarantine rate threshold must be between 0 and 1."
  }
}

variable "care_team_assignments" {
  description = "Which care coordinator covers which clinic (clinic_id = the facility's organization id), with the coordinator's sign-in user_name (optional) for QuickSight row-level security. Lands as gold.care_team_assignment; a clinic nobody covers shows its patients as unassigned."
  type = list(object({
    coordinator_id = string
    clinic_id      = string
    user_name      = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([
      for a in var.care_team_assignments : can(regex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", a.coordinator_id)) && can(regex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$", a.clinic_id))
    ])
    error_message = "coordinator_id and clinic_id must be 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for a in var.care_team_assignments : a.user_name == null || can(regex("^[[:graph:]]{1,256}$", a.user_name))])
    error_message = "user_name must be 1-256 printable characters without spaces."
  }
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
