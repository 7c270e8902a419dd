terraform {
  required_version = ">= 1.11.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket, kms_key_id and region come from `make tf-init ENV=dev`
  # (TF_STATE_BUCKET, TF_STATE_KMS_KEY, AWS_REGION), i.e. from the bootstrap stack's
  # outputs. The lock is an S3 object beside the state (use_lockfile), not a DynamoDB table.
  backend "s3" {
    key          = "carelake/dev/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
