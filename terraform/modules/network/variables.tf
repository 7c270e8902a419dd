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

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"
  nullable    = false

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be an IPv4 CIDR of /24 or larger."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each private subnet (4 turns a /16 into /20s)."
  type        = number
  default     = 4
  nullable    = false
}

variable "availability_zones" {
  description = "Availability zones for the private subnets, one subnet each (given, not looked up, so plans need no API call)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface endpoints with private DNS (service name after com.amazonaws.<region>.)."
  type        = list(string)
  default     = ["athena", "glue", "kinesis-firehose", "kinesis-streams", "kms", "lakeformation", "lambda", "logs", "monitoring", "secretsmanager", "sns", "sqs", "states", "sts"]
  nullable    = false

  validation {
    condition     = length(setsubtract(["glue", "athena", "kms", "sts", "logs", "kinesis-streams", "sns", "lambda", "secretsmanager"], var.interface_endpoint_services)) == 0
    error_message = "interface_endpoint_services must include at least glue, athena, kms, sts, logs, kinesis-streams, sns, lambda and secretsmanager (the jobs read the patient key)."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key (logs class) that encrypts the flow log group."
  type        = string
  nullable    = false
}

variable "flow_log_retention_in_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_in_days)
    error_message = "flow_log_retention_in_days must be a CloudWatch Logs retention value of at least 365."
  }
}
