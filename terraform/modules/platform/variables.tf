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

variable "persona_trusted_principal_arns" {
  description = "Principals allowed to assume each persona role (data_engineer, analyst, care_coordinator, auditor); a persona without an entry trusts the account."
  type        = map(list(string))
  default     = {}
  nullable    = false
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
  description = "Whether the Glue workflow and treatments export schedules are active."
  type        = bool
  default     = true
  nullable    = false
}

variable "extra_job_arguments" {
  description = "Values for job arguments other than <zone>_uri and dt (see the job manifest)."
  type        = map(string)
  default     = {}
  nullable    = false
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

variable "risk_threshold" {
  description = "LACE score at or over which a patient is alerted."
  type        = number
  default     = 10
  nullable    = false
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
