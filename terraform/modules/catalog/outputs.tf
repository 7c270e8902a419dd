output "glue_catalog_database_names" {
  description = "Glue database of each zone (carelake_<env>_<zone>)."
  value       = { for z, d in aws_glue_catalog_database.this : z => d.name }
}

output "glue_catalog_database_arns" {
  description = "Glue database ARNs by zone (built from names)."
  value       = { for z, n in local.database_names : z => "arn:${var.context.partition}:glue:${var.context.region}:${var.context.account_id}:database/${n}" }
}

output "glue_catalog_tables" {
  description = "Every catalogued table: zone, database_name, name, data_classification, direct_identifier_columns (for Lake Formation tags)."
  value = [
    for k, t in local.tables : {
      zone                      = t.zone
      database_name             = aws_glue_catalog_table.this[k].database_name
      name                      = aws_glue_catalog_table.this[k].name
      data_classification       = t.data_classification
      direct_identifier_columns = t.direct_identifier_columns
    }
  ]
}
