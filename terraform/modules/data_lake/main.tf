# The lake's buckets. Every bucket: SSE-KMS with a customer-managed key and an S3
# bucket key, versioning, public access blocked, bucket-owner-enforced ownership
# (no ACLs), server access logging, lifecycle rules, EventBridge notifications and a
# policy that denies non-TLS requests, TLS below 1.2, and uploads that ask for any
# encryption other than SSE-KMS with the bucket's own key. None of it can be turned
# off: there are no variables for it.
locals {
  # The lake's zones: the one list every other module derives its zones from (through
  # the zone_s3_bucket_names / zone_s3_bucket_arns outputs).
  zones     = ["raw", "bronze", "silver", "gold", "quarantine"]
  phi_zones = concat(local.zones, ["athena-results"])

  buckets = merge(
    {
      for z in local.phi_zones : z => {
        kms_key_arn         = var.phi_kms_key_arn
        data_classification = "phi"
      }
    },
    {
      artifacts = {
        kms_key_arn         = var.artifacts_kms_key_arn
        data_classification = "non-phi"
      }
    },
  )

  bucket_names = { for k in keys(local.buckets) : k => "${var.context.name_prefix}-${k}-${var.context.account_id}" }
  bucket_arns  = { for k, n in local.bucket_names : k => "arn:${var.context.partition}:s3:::${n}" }

  access_logs_bucket_name = "${var.context.name_prefix}-access-logs-${var.context.account_id}"
  access_logs_bucket_arn  = "arn:${var.context.partition}:s3:::${local.access_logs_bucket_name}"

  # Statements every bucket policy starts with (the bucket's own ARN and key fill them).
  tls_statements = {
    for k, arn in merge(local.bucket_arns, { access-logs = local.access_logs_bucket_arn }) : k => [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [arn, "${arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsBelow12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [arn, "${arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
    ]
  }

  # Uploads without encryption headers get the default (SSE-KMS, this bucket's key): Transfer
  # Family and S3 server access logging send none. An upload that asks for another algorithm
  # or another key is refused. Null = false limits each deny to requests that carry the
  # header; ...IfExists would not, since it holds when the header is absent.
  bucket_policies = {
    for k, arn in local.bucket_arns : k => jsonencode({
      Version = "2012-10-17"
      Statement = concat(local.tls_statements[k], [
        {
          Sid       = "DenyNonKmsEncryption"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${arn}/*"
          Condition = {
            Null            = { "s3:x-amz-server-side-encryption" = "false" }
            StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
          }
        },
        {
          Sid       = "DenyOtherKmsKeys"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:PutObject"
          Resource  = "${arn}/*"
          Condition = {
            Null            = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = "false" }
            StringNotEquals = { "s3:x-amz-server-side-encryption-aws-kms-key-id" = local.buckets[k].kms_key_arn }
          }
        },
      ])
    })
  }

  access_logs_policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(local.tls_statements["access-logs"], [
      {
        Sid       = "DenyNonS3ManagedEncryption"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${local.access_logs_bucket_arn}/*"
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "AES256" }
        }
      },
      {
        Sid       = "S3ServerAccessLogDelivery"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.access_logs_bucket_arn}/*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.context.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${var.context.partition}:s3:::${var.context.name_prefix}-*" }
        }
      },
    ])
  })

  artifact_files = var.artifacts_upload == null ? toset([]) : fileset(var.artifacts_upload.source_dir, "**")
  content_types  = { json = "application/json", py = "text/x-python", sql = "text/plain", whl = "application/zip", zip = "application/zip" }
}

# ---------------------------------------------------------------------------------
# Access logs bucket. S3 server access logging can only deliver to a bucket with
# SSE-S3 default encryption, so this is the one bucket without a KMS key; it holds
# request metadata only (no object contents).
# ---------------------------------------------------------------------------------
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target; logging it into itself would loop.
  #checkov:skip=CKV_AWS_145:S3 server access log delivery supports only SSE-S3 on the target bucket.
  #checkov:skip=CKV_AWS_144:Single-region platform; logs are versioned and retained by lifecycle.
  bucket        = local.access_logs_bucket_name
  force_destroy = var.force_destroy

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket

  rule {
    id     = "retain-then-expire"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.bucket
  policy = local.access_logs_policy

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

resource "aws_s3_bucket_notification" "access_logs" {
  bucket      = aws_s3_bucket.access_logs.bucket
  eventbridge = true
}

# ---------------------------------------------------------------------------------
# Zone, Athena results and artifacts buckets.
# ---------------------------------------------------------------------------------
resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Single-region platform; durability from versioning, object lock on raw and lifecycle, not replication.
  for_each = local.buckets

  bucket              = local.bucket_names[each.key]
  force_destroy       = var.force_destroy
  object_lock_enabled = each.key == "raw" ? var.raw_object_lock_enabled : false

  tags = {
    Zone               = each.key
    DataClassification = each.value.data_classification
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket                  = each.value.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.buckets[each.key].kms_key_arn
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each = aws_s3_bucket.this

  bucket        = each.value.bucket
  target_bucket = aws_s3_bucket.access_logs.bucket
  target_prefix = "${each.value.bucket}/"

  depends_on = [aws_s3_bucket_policy.access_logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket

  rule {
    id     = "noncurrent-versions-and-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = each.key == "raw" ? [1] : []

    content {
      id     = "raw-to-deep-archive"
      status = "Enabled"

      filter {}

      transition {
        days          = var.raw_deep_archive_after_days
        storage_class = "DEEP_ARCHIVE"
      }
    }
  }

  dynamic "rule" {
    for_each = each.key == "athena-results" ? [1] : []

    content {
      id     = "expire-query-results"
      status = "Enabled"

      filter {}

      expiration {
        days = var.athena_results_expiration_days
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.raw_object_lock_enabled ? 1 : 0

  bucket = aws_s3_bucket.this["raw"].bucket

  rule {
    default_retention {
      mode = var.raw_object_lock_mode
      days = var.raw_object_lock_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.bucket
  policy = local.bucket_policies[each.key]

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_notification" "this" {
  for_each = aws_s3_bucket.this

  bucket      = each.value.bucket
  eventbridge = true
}

# ---------------------------------------------------------------------------------
# Optional upload of locally built artifacts (make package's dist/) under the
# version prefix; real deploys upload from CI instead and leave this off.
# ---------------------------------------------------------------------------------
resource "aws_s3_object" "this" {
  for_each = local.artifact_files

  bucket                 = aws_s3_bucket.this["artifacts"].bucket
  key                    = "${var.artifacts_upload.key_prefix}/${each.value}"
  source                 = "${var.artifacts_upload.source_dir}/${each.value}"
  source_hash            = filemd5("${var.artifacts_upload.source_dir}/${each.value}")
  content_type           = lookup(local.content_types, reverse(split(".", each.value))[0], "application/octet-stream")
  server_side_encryption = "aws:kms"
  kms_key_id             = var.artifacts_kms_key_arn
  bucket_key_enabled     = true

  tags = {
    DataClassification = "non-phi"
  }

  depends_on = [
    aws_s3_bucket_policy.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}
