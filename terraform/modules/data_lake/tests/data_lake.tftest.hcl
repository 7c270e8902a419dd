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
  phi_kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  artifacts_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000003"
}

run "every_bucket_encrypted_with_its_key" {
  command = plan

  assert {
    condition     = toset(keys(aws_s3_bucket.this)) == toset(["raw", "bronze", "silver", "gold", "quarantine", "athena-results", "artifacts"])
    error_message = "The lake must have raw, bronze, silver, gold, quarantine, athena-results and artifacts buckets."
  }

  assert {
    condition = alltrue([
      for k, c in aws_s3_bucket_server_side_encryption_configuration.this : alltrue([
        for r in c.rule : r.bucket_key_enabled && alltrue([
          for d in r.apply_server_side_encryption_by_default : d.sse_algorithm == "aws:kms" && d.kms_master_key_id == (k == "artifacts" ? var.artifacts_kms_key_arn : var.phi_kms_key_arn)
        ])
      ])
    ])
    error_message = "Every lake bucket must default to SSE-KMS with its class key and a bucket key."
  }

  assert {
    condition     = alltrue([for b in aws_s3_bucket.this : b.tags.DataClassification == (b.tags.Zone == "artifacts" ? "non-phi" : "phi")])
    error_message = "Zone buckets must be tagged phi and the artifacts bucket non-phi."
  }
}

run "public_access_blocked_versioned_logged" {
  command = plan

  assert {
    condition = alltrue([
      for p in concat(values(aws_s3_bucket_public_access_block.this), [aws_s3_bucket_public_access_block.access_logs]) :
      p.block_public_acls && p.block_public_policy && p.ignore_public_acls && p.restrict_public_buckets
    ])
    error_message = "Every bucket must block all public access."
  }

  assert {
    condition = alltrue([
      for v in concat(values(aws_s3_bucket_versioning.this), [aws_s3_bucket_versioning.access_logs]) :
      one(v.versioning_configuration).status == "Enabled"
    ])
    error_message = "Every bucket must be versioned."
  }

  assert {
    condition = alltrue([
      for o in concat(values(aws_s3_bucket_ownership_controls.this), [aws_s3_bucket_ownership_controls.access_logs]) :
      one(o.rule).object_ownership == "BucketOwnerEnforced"
    ])
    error_message = "Every bucket must enforce bucket-owner ownership (ACLs off)."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 7 && alltrue([for l in aws_s3_bucket_logging.this : l.target_bucket == "carelake-dev-access-logs-111122223333"])
    error_message = "Every lake bucket must log access to the access-logs bucket."
  }
}

run "policies_deny_insecure_transport_and_unencrypted_uploads" {
  command = plan

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && s.Action == "s3:*" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "Every bucket policy must deny requests without TLS."
  }

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && try(s.Condition.NumericLessThan["s3:TlsVersion"], "") == "1.2"
      ])
    ])
    error_message = "Every bucket policy must deny TLS below 1.2."
  }

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && s.Action == "s3:PutObject" && try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption"], "") == "aws:kms" && try(s.Condition.Null["s3:x-amz-server-side-encryption"], "") == "false"
      ])
    ])
    error_message = "Every bucket policy must deny uploads asking for anything but SSE-KMS."
  }

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Deny" && try(s.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == (k == "artifacts" ? var.artifacts_kms_key_arn : var.phi_kms_key_arn) && try(s.Condition.Null["s3:x-amz-server-side-encryption-aws-kms-key-id"], "") == "false"
      ])
    ])
    error_message = "Every bucket policy must deny uploads naming another KMS key."
  }

  assert {
    condition = alltrue([
      for k, p in aws_s3_bucket_policy.this : alltrue([for s in jsondecode(p.policy).Statement : s.Effect == "Deny"])
    ])
    error_message = "Lake bucket policies must only deny; access is granted by named IAM roles."
  }

  assert {
    condition     = [for s in jsondecode(aws_s3_bucket_policy.access_logs.policy).Statement : s.Principal.Service if s.Effect == "Allow"] == ["logging.s3.amazonaws.com"]
    error_message = "Only the S3 log delivery service may write to the access-logs bucket."
  }
}

run "lifecycle" {
  command = plan

  assert {
    condition = anytrue([
      for r in aws_s3_bucket_lifecycle_configuration.this["raw"].rule :
      anytrue([for t in r.transition : t.storage_class == "DEEP_ARCHIVE" && t.days == 180])
    ])
    error_message = "Raw must move to Glacier Deep Archive after raw_deep_archive_after_days."
  }

  assert {
    condition = alltrue([
      for c in aws_s3_bucket_lifecycle_configuration.this :
      anytrue([for r in c.rule : length(r.noncurrent_version_expiration) == 1])
    ])
    error_message = "Noncurrent versions must expire in every bucket."
  }

  assert {
    condition     = length(aws_s3_bucket_object_lock_configuration.this) == 0 && !aws_s3_bucket.this["raw"].object_lock_enabled
    error_message = "Object lock is off unless asked for."
  }
}

run "raw_object_lock" {
  command = plan

  variables {
    raw_object_lock_enabled = true
    raw_object_lock_mode    = "COMPLIANCE"
  }

  assert {
    condition     = aws_s3_bucket.this["raw"].object_lock_enabled && !aws_s3_bucket.this["bronze"].object_lock_enabled
    error_message = "Object lock must apply to raw only."
  }

  assert {
    condition     = one(one(aws_s3_bucket_object_lock_configuration.this[0].rule).default_retention).mode == "COMPLIANCE"
    error_message = "Raw object lock must use the requested mode."
  }
}

run "uploads_local_artifacts_encrypted" {
  command = plan

  variables {
    artifacts_upload = {
      source_dir = "tests/fixtures/artifacts" # stands in for make package output
      key_prefix = "carelake/0.1.0-test"
    }
  }

  assert {
    condition     = toset([for o in aws_s3_object.this : o.key]) == toset(["carelake/0.1.0-test/glue/raw_to_bronze.py", "carelake/0.1.0-test/lambdas/risk_alert.zip"])
    error_message = "Every file under source_dir must be uploaded under key_prefix."
  }

  assert {
    condition     = alltrue([for o in aws_s3_object.this : o.server_side_encryption == "aws:kms" && o.kms_key_id == var.artifacts_kms_key_arn])
    error_message = "Uploaded artifacts must be encrypted with the artifacts key."
  }
}

run "rejects_missing_artifacts_dir" {
  command = plan

  variables {
    artifacts_upload = {
      source_dir = "tests/fixtures/no-such-dir"
      key_prefix = "carelake/x"
    }
  }

  expect_failures = [var.artifacts_upload]
}
