terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: bucket, dynamodb_table, kms_key_id and region come from
  # `make tf-init ENV=dev` (TF_STATE_BUCKET, TF_LOCK_TABLE, ...), i.e. from the
  # bootstrap stack's outputs. See terraform/README.md.
  backend "s3" {
    key     = "carelake/dev/terraform.tfstate"
    encrypt = true
  }
}
