# AWS itself, always: unlike dev, this root has no emulator endpoints, skipped
# checks or custom CA to switch on. With account_id set, the provider refuses to
# run in any other account.
provider "aws" {
  region              = var.region
  allowed_account_ids = var.account_id != null ? [var.account_id] : null

  default_tags {
    tags = module.platform.default_tags
  }
}
