# The Glue Data Catalog of the lake: one database per zone, one table for every lake
# table in the table registry's export (jobs/catalog.json), and the account's catalog
# encrypted with the PHI key. The jobs keep each table's location and partitions in
# line with their commits (no crawler, no MSCK REPAIR, no projection); Terraform creates
# the tables and leaves their location to the jobs.
locals {
  database_names = { for z in keys(var.zone_bucket_names) : z => "${replace(var.context.name_prefix, "-", "_")}_${z}" }

  formats = {
    parquet = {
      input_format          = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      output_format         = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      serde_parameters      = { "serialization.format" = "1" }
      table_parameters      = {}
    }
    json = {
      input_format          = "org.apache.hadoop.mapred.TextInputFormat"
      output_format         = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      serde_parameters      = { "ignore.malformed.json" = "false" }
      table_parameters      = {}
    }
    csv = {
      input_format          = "org.apache.hadoop.mapred.TextInputFormat"
      output_format         = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
      serialization_library = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
      serde_parameters      = { separatorChar = ",", quoteChar = "\"", escapeChar = "\\" }
      table_parameters      = { "skip.header.line.count" = "1" }
    }
  }

  tables = { for t in var.tables : "${t.zone}.${t.name}" => t }

  # Where a table points before the jobs' first commit (jobs/catalog.json's `location`, below
  # the zone's bucket). After that the jobs own it: each commit moves an unpartitioned table
  # to its new version folder (UpdateTable) and registers every partition with its folder
  # (carelake.lake.glue_catalog), so Athena reads exactly the committed versions. No
  # partition projection: a projected dt=<day>/ would read every version folder below it.
  table_locations = {
    for k, t in local.tables : k => "s3://${var.zone_bucket_names[t.zone]}/${t.location}"
  }
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.phi_kms_key_arn
    }

    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.phi_kms_key_arn
    }
  }
}

resource "aws_glue_catalog_database" "this" {
  for_each = local.database_names

  name         = each.value
  description  = "carelake ${var.context.environment} ${each.key} zone"
  location_uri = "s3://${var.zone_bucket_names[each.key]}/"

  tags = {
    Zone               = each.key
    DataClassification = "phi"
  }
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.tables

  database_name = aws_glue_catalog_database.this[each.value.zone].name
  name          = each.value.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(
    local.formats[each.value.format].table_parameters,
    {
      EXTERNAL            = "TRUE"
      classification      = each.value.format
      data_classification = each.value.data_classification
    },
  )

  dynamic "partition_keys" {
    for_each = each.value.partition_keys

    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = local.table_locations[each.key]
    input_format  = local.formats[each.value.format].input_format
    output_format = local.formats[each.value.format].output_format

    ser_de_info {
      name                  = each.value.format
      serialization_library = local.formats[each.value.format].serialization_library
      parameters            = local.formats[each.value.format].serde_parameters
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }

  lifecycle {
    # The jobs move an unpartitioned table to each new version folder when they commit.
    ignore_changes = [storage_descriptor[0].location]
  }
}
