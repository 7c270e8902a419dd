# Every output of the platform module, under one name (declared once, there):
#   terraform output -json platform | jq -r .artifacts_s3_bucket_name
# scripts/tf-output.sh <env> <name> prints one of them (make and the deploy workflow use it).
output "platform" {
  description = "The platform module's outputs (see terraform/modules/platform/README.md)."
  value       = module.platform
}
