#!/usr/bin/env bash
# Print the path of a Terraform CLI config that installs providers from a local
# filesystem mirror, writing it under build/ first. Prints nothing when no mirror
# exists (then Terraform uses the registry as usual).
#
# The mirror root is the folder that holds registry.terraform.io/ (an "unpacked"
# filesystem mirror). It is discovered at run time, never hard-coded:
#   TF_PROVIDER_MIRROR=<dir>   use this mirror root (skips discovery)
#   TF_PROVIDER_MIRROR=none    never use a mirror
# No plugin cache dir is set: Terraform links providers from an unpacked mirror
# instead of copying them (the AWS provider is about 700 MB).
set -euo pipefail
cd "$(dirname "$0")/.."

mirror=${TF_PROVIDER_MIRROR:-}
if [[ "$mirror" == none ]]; then
  exit 0
fi
if [[ -z "$mirror" ]]; then
  found=$(find / -maxdepth 6 -type d -path '*registry.terraform.io/hashicorp/aws' \
    -not -path '*/.terraform/*' -not -path '/proc/*' 2>/dev/null | head -n 1 || true)
  [[ -n "$found" ]] || exit 0
  mirror=${found%/registry.terraform.io/hashicorp/aws}
fi
[[ -d "$mirror/registry.terraform.io" ]] || { echo "tf-mirror: $mirror holds no registry.terraform.io/" >&2; exit 1; }

config=$PWD/build/terraform/terraformrc
mkdir -p "$(dirname "$config")"
tmp=$(mktemp "$config.XXXXXX")
cat > "$tmp" <<HCL
# Written by scripts/tf-mirror.sh: providers from the filesystem mirror at $mirror.
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
HCL
mv "$tmp" "$config"
echo "$config"
