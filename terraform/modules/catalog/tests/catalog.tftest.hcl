mock_provider "aws" {}

variables {
  context = {
    project     = "carelake"
    environment = "dev"
    name_prefix = "carelake-dev"
    account_id  = "111122223333"
    region      = "us-east-1"
    partition   = "aws"
  }
  zone_bucket_names = {
    raw        = "carelake-dev-raw-111122223333"
    bronze     = "carelake-dev-bronze-111122223333"
    silver     = "carelake-dev-silver-111122223333"
    gold       = "carelake-dev-gold-111122223333"
    quarantine = "carelake-dev-quarantine-111122223333"
  }
  phi_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  tables          = jsondecode(file("tests/fixtures/catalog.json")).tables
}

run "databases_and_encryption" {
  command = plan

  assert {
    condition     = toset([for d in aws_glue_catalog_database.this : d.name]) == toset(["carelake_dev_raw", "carelake_dev_bronze", "carelake_dev_silver", "carelake_dev_gold", "carelake_dev_quarantine"])
    error_message = "There must be one database per zone, named carelake_<env>_<zone>."
  }

  assert {
    condition     = one(one(aws_glue_data_catalog_encryption_settings.this.data_catalog_encryption_settings).encryption_at_rest).catalog_encryption_mode == "SSE-KMS"
    error_message = "The Data Catalog must be encrypted with SSE-KMS."
  }

  assert {
    condition     = one(one(aws_glue_data_catalog_encryption_settings.this.data_catalog_encryption_settings).encryption_at_rest).sse_aws_kms_key_id == var.phi_kms_key_arn
    error_message = "The Data Catalog must use the PHI key."
  }

  assert {
    condition     = one(one(aws_glue_data_catalog_encryption_settings.this.data_catalog_encryption_settings).connection_password_encryption).return_connection_password_encrypted
    error_message = "Connection passwords must be encrypted."
  }
}

run "tables_from_catalog_file_at_their_first_locations" {
  command = plan

  assert {
    condition     = length(aws_glue_catalog_table.this) == 5
    error_message = "Every table in the catalog file must be created."
  }

  assert {
    condition = alltrue([
      for t in aws_glue_catalog_table.this : length([for k in keys(t.parameters) : k if startswith(k, "projection.") || k == "storage.location.template"]) == 0
    ])
    error_message = "No table is projected: the jobs register partitions with the version folders their commits list."
  }

  assert {
    condition     = [for p in aws_glue_catalog_table.this["bronze.claims_line"].partition_keys : p.name] == ["partner_id", "dt"]
    error_message = "Partition keys must follow the catalog file, in order."
  }

  assert {
    condition     = one(aws_glue_catalog_table.this["bronze.claims_line"].storage_descriptor).location == "s3://carelake-dev-bronze-111122223333/job=claims_to_bronze/table=claims_line/"
    error_message = "A table's first location must be s3://<zone bucket>/<catalog location>."
  }

  assert {
    condition     = one(aws_glue_catalog_table.this["gold.readmission_measure"].storage_descriptor).location == "s3://carelake-dev-gold-111122223333/job=silver_to_gold/table=readmission_measure/v=0000000-empty/"
    error_message = "An unpartitioned table must first point at an empty version folder, never at the folder of all its versions."
  }

  assert {
    condition     = [for c in one(aws_glue_catalog_table.this["bronze.claims_line"].storage_descriptor).columns : c.type] == ["string", "decimal(12,2)", "array<string>"]
    error_message = "Column types must be passed through as Hive types."
  }

  assert {
    condition     = aws_glue_catalog_table.this["gold.readmission_measure"].parameters["data_classification"] == "deidentified"
    error_message = "Tables must record their data classification."
  }

  assert {
    condition     = length(aws_glue_catalog_table.this["gold.readmission_measure"].partition_keys) == 0
    error_message = "An unpartitioned snapshot table gets no partition keys."
  }
}

run "rejects_unknown_classification" {
  command = plan

  variables {
    tables = [{
      zone                = "gold"
      name                = "x"
      data_classification = "public"
      partition_keys      = [{ name = "dt", type = "string" }]
      columns             = [{ name = "a", type = "string" }]
      location            = "job=x/table=x/"
    }]
  }

  expect_failures = [var.tables]
}

run "rejects_identifier_not_a_column" {
  command = plan

  variables {
    tables = [{
      zone                      = "gold"
      name                      = "x"
      data_classification       = "deidentified"
      partition_keys            = [{ name = "dt", type = "string" }]
      columns                   = [{ name = "a", type = "string" }]
      direct_identifier_columns = ["ssn"]
      location                  = "job=x/table=x/"
    }]
  }

  expect_failures = [var.tables]
}
