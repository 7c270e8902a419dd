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

variable "zone_bucket_names" {
  description = "Bucket of each lake zone (the data_lake module's zone_s3_bucket_names): one database per zone."
  type        = map(string)
  nullable    = false

  validation {
    condition     = length(var.zone_bucket_names) > 0
    error_message = "zone_bucket_names must name at least one zone's bucket."
  }
}

variable "phi_kms_key_arn" {
  description = "KMS key (PHI class) that encrypts the Data Catalog and connection passwords."
  type        = string
  nullable    = false
}

variable "tables" {
  description = "Lake tables, as in the `tables` list of jobs/catalog.json (zone, name, description, data_classification, format, partition_keys, columns, direct_identifier_columns, location: the folder below the zone's bucket a table points at before its first commit)."
  type = list(object({
    zone                = string
    name                = string
    description         = optional(string, "")
    data_classification = string
    format              = optional(string, "parquet")
    partition_keys = list(object({
      name = string
      type = string
    }))
    columns = list(object({
      name    = string
      type    = string
      comment = optional(string)
    }))
    direct_identifier_columns = optional(list(string), [])
    location                  = string
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for t in var.tables : contains(keys(var.zone_bucket_names), t.zone)])
    error_message = "Every table's zone must be one of zone_bucket_names."
  }

  validation {
    condition     = alltrue([for t in var.tables : contains(["phi", "limited-data-set", "deidentified", "non-phi"], t.data_classification)])
    error_message = "Every table's data_classification must be phi, limited-data-set, deidentified or non-phi."
  }

  validation {
    condition     = alltrue([for t in var.tables : contains(["parquet", "json", "csv"], t.format)])
    error_message = "Every table's format must be parquet, json or csv."
  }

  validation {
    condition     = length(distinct([for t in var.tables : "${t.zone}.${t.name}"])) == length(var.tables)
    error_message = "Table names must be unique within a zone."
  }

  validation {
    condition     = alltrue([for t in var.tables : can(regex("^[a-z][a-z0-9_]*$", t.name))])
    error_message = "Table names must be lowercase snake_case."
  }

  validation {
    condition     = alltrue([for t in var.tables : (length(t.partition_keys) == 0 || contains([for p in t.partition_keys : p.name], "dt")) && alltrue([for p in t.partition_keys : p.type == "string"])])
    error_message = "A partitioned table must be partitioned by dt (unpartitioned snapshots have no keys), and every partition key must be a string."
  }

  validation {
    condition     = alltrue([for t in var.tables : length(setsubtract(t.direct_identifier_columns, [for c in t.columns : c.name])) == 0])
    error_message = "direct_identifier_columns must name columns of the table."
  }
}
