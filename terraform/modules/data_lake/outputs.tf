output "s3_bucket_names" {
  description = "Bucket names by role: raw, bronze, silver, gold, quarantine, athena-results, artifacts."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "s3_bucket_arns" {
  description = "Bucket ARNs by role (built from names, known at plan time)."
  value       = local.bucket_arns
}

output "phi_s3_bucket_arns" {
  description = "ARNs of the buckets that hold PHI (the five zones and athena-results)."
  value       = [for z in local.phi_zones : local.bucket_arns[z]]
}

output "zone_s3_uris" {
  description = "Base URI of each lake zone (s3://<bucket>/), the <zone>_uri job arguments."
  value       = { for z in local.zones : z => "s3://${aws_s3_bucket.this[z].bucket}/" }
}

output "zone_s3_bucket_names" {
  description = "Bucket name of each lake zone (raw, bronze, silver, gold, quarantine): the zone list other modules derive theirs from."
  value       = { for z in local.zones : z => aws_s3_bucket.this[z].bucket }
}

output "zone_s3_bucket_arns" {
  description = "Bucket ARN of each lake zone (built from names, known at plan time)."
  value       = { for z in local.zones : z => local.bucket_arns[z] }
}

output "artifacts_s3_bucket_name" {
  description = "Name of the artifacts bucket, once it is versioned, encrypted and its policy set: what other modules write there is versioned from the start (and destroyed with all its versions)."
  value       = aws_s3_bucket.this["artifacts"].bucket

  depends_on = [
    aws_s3_bucket_policy.this,
    aws_s3_bucket_server_side_encryption_configuration.this,
    aws_s3_bucket_versioning.this,
  ]
}

output "athena_results_s3_bucket_name" {
  description = "Name of the Athena results bucket."
  value       = aws_s3_bucket.this["athena-results"].bucket
}

output "access_logs_s3_bucket_name" {
  description = "Name of the S3 server access logs bucket."
  value       = aws_s3_bucket.access_logs.bucket
}

output "s3_bucket_policies_json" {
  description = "Bucket policies by bucket role, as JSON (for tests and reviews)."
  value       = merge(local.bucket_policies, { access-logs = local.access_logs_policy })
}

output "artifacts_s3_object_version_ids" {
  description = "Version ID of each uploaded artifact by key (empty unless artifacts_upload is set)."
  value       = { for k, o in aws_s3_object.this : o.key => o.version_id }
}
