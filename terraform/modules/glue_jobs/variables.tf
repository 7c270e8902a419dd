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

variable "manifest_path" {
  description = "Path of the job manifest (jobs/src/carelake/manifest.yaml): jobs, arguments, dependencies, Glue sizing and the workflow schedule."
  type        = string
  nullable    = false

  validation {
    condition     = try(yamldecode(file(var.manifest_path)).version == 1, false)
    error_message = "manifest_path must be a version 1 job manifest."
  }

  validation {
    condition = try(alltrue([
      for name, job in yamldecode(file(var.manifest_path)).jobs : job.entry_point == "carelake.entrypoints.${name}"
    ]), false)
    error_message = "Every job's entry_point must be carelake.entrypoints.<job name> (the script is glue/<job>.py)."
  }

  validation {
    condition = try(alltrue(flatten([
      for name, job in yamldecode(file(var.manifest_path)).jobs : [for d in job.depends_on : contains(keys(yamldecode(file(var.manifest_path)).jobs), d)]
    ])), false)
    error_message = "Every depends_on entry must name a job in the manifest."
  }
}

variable "artifacts_bucket_name" {
  description = "Bucket holding carelake/<artifact_version>/glue/<job>.py and the wheel."
  type        = string
  nullable    = false
}

variable "artifact_version" {
  description = "Version of the artifacts to run (the folder under carelake/ in the artifacts bucket)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._+-]*$", var.artifact_version))
    error_message = "artifact_version must be a plain version string (letters, digits, . _ + -)."
  }
}

variable "python_modules_file_name" {
  description = "Zip of wheels under the version folder (make package): the carelake wheel and its pinned runtime dependencies for Glue 5.0, installed without an index (private subnets have no internet)."
  type        = string
  default     = "carelake-python-modules.zip"
  nullable    = false
}

variable "zone_bucket_names" {
  description = "Bucket of each lake zone (the data_lake module's zone_s3_bucket_names); <zone>_uri arguments become s3://<bucket>/."
  type        = map(string)
  nullable    = false

  validation {
    condition     = contains(keys(var.zone_bucket_names), "raw")
    error_message = "zone_bucket_names must hold raw (the jobs read it and only it)."
  }
}

variable "temp_bucket_name" {
  description = "PHI-class bucket for Glue's --TempDir (under glue-temp/); the athena-results bucket, which expires objects."
  type        = string
  nullable    = false
}

variable "extra_job_arguments" {
  description = "Values for manifest argument names other than <zone>_uri and dt (e.g. partner_id = \"all\"); they override the manifest's default_arguments."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) for job output, temporary files and bookmarks."
  type        = string
  nullable    = false
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) for the jobs' CloudWatch logs."
  type        = string
  nullable    = false
}

variable "subnet_ids_by_availability_zone" {
  description = "Private subnets the jobs run in: subnet ID by availability zone (one Glue NETWORK connection each)."
  type        = map(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids_by_availability_zone) > 0
    error_message = "subnet_ids_by_availability_zone must name at least one private subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the Glue connections (need a self-referencing rule)."
  type        = list(string)
  nullable    = false
}

variable "schedule_enabled" {
  description = "Whether the workflow's scheduled trigger is active."
  type        = bool
  default     = true
  nullable    = false
}

variable "failure_notifier" {
  description = "Lambda function that turns Glue failure events into notices (function_arn, function_name)."
  type = object({
    function_arn  = string
    function_name = string
  })
  nullable = false
}

variable "alarm_topic_arn" {
  description = "SNS topic (pipeline failures) for the CloudWatch alarms."
  type        = string
  nullable    = false
}

variable "slow_run_percent" {
  description = "Alarm when a run's elapsed time passes this share of its timeout."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.slow_run_percent > 0 && var.slow_run_percent < 100
    error_message = "slow_run_percent must be between 1 and 99."
  }
}
