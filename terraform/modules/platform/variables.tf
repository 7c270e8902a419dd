# ---------------------------------------------------------------------------------
# Environment and naming.
# ---------------------------------------------------------------------------------
variable "environment" {
  description = "Environment name: dev or prod."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "us-east-1"
  nullable    = false
}

variable "partition" {
  description = "AWS partition of the account."
  type        = string
  default     = "aws"
  nullable    = false
}

variable "account_id" {
  description = "AWS account ID. When null it is read with sts:GetCallerIdentity; set it to plan without that call (e.g. against an emulator)."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "owner" {
  description = "Owner tag: the team or mailbox that answers for the environment."
  type        = string
  nullable    = false
}

variable "cost_center" {
  description = "CostCenter tag."
  type        = string
  nullable    = false
}

variable "availability_zones" {
  description = "Availability zones of the private subnets (at least two)."
  type        = list(string)
  nullable    = false
}

variable "vpc_cidr_block" {
  description = "CIDR block of the data-plane VPC."
  type        = string
  default     = "10.40.0.0/16"
  nullable    = false
}

# ---------------------------------------------------------------------------------
# Artifacts.
# ---------------------------------------------------------------------------------
variable "artifact_version" {
  description = "Version of the packaged jobs, SQL and Lambdas to run: the folder under s3://<artifacts bucket>/carelake/ (CI passes the commit it built)."
  type        = string
  nullable    = false
}

variable "local_artifacts_dir" {
  description = "Upload this folder (make package's dist/) to s3://<artifacts bucket>/carelake/<artifact_version>/ as part of the apply, for local or emulator runs. Null for real deploys, where CI uploads dist/ first. Not allowed in prod."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.local_artifacts_dir == null || var.environment != "prod"
    error_message = "prod deploys only artifacts that CI uploaded: local_artifacts_dir must be null."
  }
}

# ---------------------------------------------------------------------------------
# Who administers and who deploys (role names in this account; ARNs are built).
# ---------------------------------------------------------------------------------
variable "key_administrator_role_names" {
  description = "IAM roles (names, with path if any) that administer the KMS keys; they get no decrypt rights."
  type        = list(string)
  nullable    = false
}

variable "lake_formation_admin_role_names" {
  description = "IAM roles (names) that are Lake Formation administrators besides the deploy role."
  type        = list(string)
  nullable    = false
}

variable "deploy_role_name" {
  description = "Role that runs terraform apply (created by the bootstrap stack); null means <project>-<environment>-github-apply."
  type        = string
  default     = null
  nullable    = true
}

variable "github_repository" {
  description = "GitHub repository (owner/name) whose workflows deploy this environment."
  type        = string
  nullable    = false
}

variable "state_bucket_name" {
  description = "Terraform state bucket from the bootstrap stack; null means carelake-tfstate-<account>-<region>."
  type        = string
  default     = null
  nullable    = true
}

variable "limited_data_set_readers" {
  description = "IAM roles (names, with path if any) granted the gold limited data set (exact dates and source ids) under a data use agreement, by a static key: role_name and data_use_agreement (its reference). Empty (the default): analysts get the de-identified layer only. docs/runbook.md, Limited data set access."
  type = map(object({
    role_name          = string
    data_use_agreement = string
  }))
  default  = {}
  nullable = false
}

variable "persona_trusted_role_names" {
  description = "IAM roles (names, with path if any, e.g. IAM Identity Center's aws-reserved/sso.amazonaws.com/AWSReservedSSO_Analyst_1a2b) whose people may assume each persona: data_engineer, analyst, care_coordinator, auditor. Every persona needs at least one; none trusts the account root. Sessions need MFA and a source identity."
  type        = map(list(string))
  nullable    = false

  validation {
    condition     = toset(keys(var.persona_trusted_role_names)) == toset(["data_engineer", "analyst", "care_coordinator", "auditor"])
    error_message = "persona_trusted_role_names must have exactly the keys data_engineer, analyst, care_coordinator and auditor."
  }

  validation {
    condition     = alltrue([for names in values(var.persona_trusted_role_names) : length(names) > 0 && alltrue([for n in names : can(regex("^[A-Za-z0-9+=,.@_/-]+$", n)) && !strcontains(n, "*")])])
    error_message = "Every persona needs at least one trusted role name (no wildcard): an empty list would leave the persona to the whole account."
  }
}

variable "break_glass_role_names" {
  description = "IAM roles (names, with path if any) of the people who may assume the break-glass role (MFA within 15 minutes, a source identity, one hour; every use alarms). At least one."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.break_glass_role_names) > 0 && alltrue([for n in var.break_glass_role_names : can(regex("^[A-Za-z0-9+=,.@_/-]+$", n)) && !strcontains(n, "*")])
    error_message = "break_glass_role_names must name at least one role (no wildcard)."
  }
}

# ---------------------------------------------------------------------------------
# Detective controls and backups: managed here, or delegated to the organisation's
# security account (named); never off.
# ---------------------------------------------------------------------------------
variable "detective_controls_delegated_to" {
  description = "Detective controls the organisation's security account runs instead of this environment, by control (guardduty, securityhub, config, macie, access_analyzer) => that account's ID. Controls not named are managed here; none can be switched off."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for c, a in var.detective_controls_delegated_to : contains(["guardduty", "securityhub", "config", "macie", "access_analyzer"], c) && can(regex("^[0-9]{12}$", a)) && a != var.account_id])
    error_message = "detective_controls_delegated_to maps guardduty, securityhub, config, macie or access_analyzer to the security account's 12-digit ID (not this account's: that would switch the control off)."
  }
}

variable "backup_delegated_to_security_account_id" {
  description = "The organisation's security account whose backup policy covers the PHI tables and buckets instead of this environment's plan (null: backed up here). Backups cannot be switched off."
  type        = string
  default     = null
  nullable    = true

  validation {
    condition     = var.backup_delegated_to_security_account_id == null || (can(regex("^[0-9]{12}$", var.backup_delegated_to_security_account_id)) && var.backup_delegated_to_security_account_id != var.account_id)
    error_message = "backup_delegated_to_security_account_id must be the security account's 12-digit ID (not this account's: that would switch backups off)."
  }
}

variable "backup_vault_lock_mode" {
  description = "Lock of the PHI backup vault: compliance (immutable after a grace period; required in prod) or governance (removable by privileged users, for environments that are torn down)."
  type        = string
  default     = "compliance"
  nullable    = false

  validation {
    condition     = var.backup_vault_lock_mode == "compliance" || var.environment != "prod"
    error_message = "prod keeps backups immutable: backup_vault_lock_mode must be compliance."
  }
}

# ---------------------------------------------------------------------------------
# Data plane settings.
# ---------------------------------------------------------------------------------
variable "raw_object_lock_enabled" {
  description = "Create the raw bucket with S3 Object Lock (required in prod)."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = var.raw_object_lock_enabled || var.environment != "prod"
    error_message = "prod keeps raw write-once: raw_object_lock_enabled must be true."
  }
}

variable "raw_deep_archive_after_days" {
  description = "Days after which raw objects move to Glacier Deep Archive."
  type        = number
  default     = 180
  nullable    = false
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets and workgroups (throwaway environments; never prod)."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.force_destroy || var.environment != "prod"
    error_message = "force_destroy must be false in prod."
  }
}

variable "deletion_protection_enabled" {
  description = "Protect DynamoDB tables from deletion (always on in prod)."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.deletion_protection_enabled || var.environment != "prod"
    error_message = "deletion_protection_enabled must be true in prod."
  }
}

variable "schedules_enabled" {
  description = "Whether the schedules are active: the Glue workflow, the treatments export, the risk alert and the freshness check."
  type        = bool
  default     = true
  nullable    = false
}

variable "extra_job_arguments" {
  description = "Values for job arguments other than <zone>_uri, dt and patient_key_secret (which the platform sets to its own secret); see the job manifest. Not risk_threshold (the variable of that name) nor care_team_assignment_uri (from care_team_assignments)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = length(setintersection(keys(var.extra_job_arguments), ["risk_threshold", "care_team_assignment_uri"])) == 0
    error_message = "Set the LACE threshold with risk_threshold and the care team with care_team_assignments, not through extra_job_arguments: each has one value for the gold job and the alerts."
  }
}

variable "claims_job" {
  description = "Manifest job the SFTP arrival Lambda starts."
  type        = string
  default     = "claims_to_bronze"
  nullable    = false
}

variable "sftp_partners" {
  description = "SFTP partners by partner_id with their SSH public keys."
  type = map(object({
    ssh_public_keys = list(string)
  }))
  default  = {}
  nullable = false
}

variable "sftp_claims_prefix" {
  description = "Key prefix of partner claims in the raw bucket (partner homes are <prefix>/partner=<id>/). claims: where claims_to_bronze and the sftp_arrival handler look."
  type        = string
  default     = "claims"
  nullable    = false
}

variable "sftp_allowed_cidrs" {
  description = "Partner networks (over VPN/Direct Connect) allowed to reach SFTP."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "intake_authorization_type" {
  description = "Intake API authorisation: AWS_IAM or COGNITO_USER_POOLS."
  type        = string
  default     = "AWS_IAM"
  nullable    = false
}

variable "intake_cognito_user_pool_arns" {
  description = "User pools for COGNITO_USER_POOLS authorisation."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "intake_domain_name" {
  description = "The intake API's domain (its only endpoint; TLS 1.2, WAF), e.g. intake.dev.example.org."
  type        = string
  nullable    = false
}

variable "intake_route53_zone_id" {
  description = "Public Route 53 hosted zone holding intake_domain_name: the certificate is DNS-validated there and an alias record points at the API."
  type        = string
  nullable    = false
}

variable "risk_threshold" {
  description = "LACE score at or over which a patient is on the call-now list, the worklist and the alerts: one value for the gold job and the risk_alert Lambda. Null takes silver_to_gold's default argument in the job manifest."
  type        = number
  default     = null
  nullable    = true

  validation {
    condition     = var.risk_threshold == null ? true : var.risk_threshold >= 0 && var.risk_threshold <= 19 && floor(var.risk_threshold) == var.risk_threshold
    error_message = "risk_threshold must be a LACE score (an integer 0-19), or null for the manifest's."
  }
}

variable "source_freshness" {
  description = "Raw sources the pipeline-health check watches (name => prefix, max_age_hours); null keeps the alerting module's five sources."
  type = map(object({
    prefix        = string
    max_age_hours = number
  }))
  default  = null
  nullable = true
}

variable "quarantine_rate_threshold" {
  description = "Quarantine rate (0-1) over which a job run's table is reported; null keeps the alerting module's 1%."
  type        = number
  default     = null
  nullable    = true
}

variable "quarantine_rate_threshold_by_table" {
  description = "Per-table quarantine rate thresholds (table => 0-1)."
  type        = map(number)
  default     = {}
  nullable    = false
}

variable "care_team_assignments" {
  description = "Which care coordinator covers which clinic (the facility's organization id), with an optional sign-in user_name; lands as gold.care_team_assignment (docs/data-model.md)."
  type = list(object({
    coordinator_id = string
    clinic_id      = string
    user_name      = optional(string)
  }))
  default  = []
  nullable = false
}

variable "runbook_base_url" {
  description = "Base URL of docs/runbook.md that failure notices link to."
  type        = string
  nullable    = false
}

variable "pipeline_failure_email_endpoints" {
  description = "E-mail addresses for pipeline failures and alarms."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "risk_alert_email_endpoints" {
  description = "E-mail addresses for risk alerts."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "security_alert_email_endpoints" {
  description = "E-mail addresses for security alarms."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "slack" {
  description = "Slack team_id and channel_id for pipeline failures (AWS Chatbot); null for none."
  type = object({
    team_id    = string
    channel_id = string
  })
  default  = null
  nullable = true
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "Largest scan one Athena query may do, in bytes."
  type        = number
  default     = 107374182400
  nullable    = false
}

variable "quicksight" {
  description = "QuickSight (Enterprise subscription needed): the analyst and care-team dashboards (analytics module) and their Lake Formation grants: owner_arn, analyst_reader_arns, care_team_reader_arns, rls_table_name (default care_team_assignment), refresh_time_of_day, refresh_timezone. Null for none."
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
}
