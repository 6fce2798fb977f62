# Shared settings for the project's scripts (sourced, not run).
# Finds the Terraform provider mirror and writes the project's own Terraform
# CLI config, so nothing depends on ~/.terraformrc or the public registry.

export CHECKPOINT_DISABLE=1                                # no cdktf/terraform update checks
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1      # jsii on Node.js 20
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20        # its value is the major version to silence
export DISABLE_VERSION_CHECK=1

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR="$ROOT/.cache"
mkdir -p "$CACHE_DIR"
# Built tools (trivy) live outside the checkout, so a fresh clone reuses them.
TOOLS_DIR="${SHINY_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/shiny-cdktf/bin}"

die() { echo "error: $*" >&2; exit 1; }

# find_mirror sets TF_PLUGIN_MIRROR: the filesystem mirror holding
# registry.terraform.io/hashicorp/aws. Override with TF_PLUGIN_MIRROR=/path.
find_mirror() {
  if [ -z "${TF_PLUGIN_MIRROR:-}" ]; then
    # find exits 1 when a folder vanishes while it walks (/proc, /tmp): not an error here.
    TF_PLUGIN_MIRROR=$(find / -maxdepth 3 -type d -name tf-plugins 2>/dev/null | head -n 1 || true)
  fi
  [ -n "$TF_PLUGIN_MIRROR" ] && [ -d "$TF_PLUGIN_MIRROR/registry.terraform.io/hashicorp/aws" ] ||
    die "no Terraform provider mirror with registry.terraform.io/hashicorp/aws (5.x) found.
  Install the hashicorp/aws provider (>= 5.88, < 6) into a filesystem mirror, e.g.
    terraform providers mirror /opt/tf-plugins   (on a machine with registry access)
  and set TF_PLUGIN_MIRROR=/opt/tf-plugins if it is not at /<dir>/tf-plugins."
  export TF_PLUGIN_MIRROR
  export TF_CLI_CONFIG_FILE="$CACHE_DIR/terraformrc"
  cat > "$TF_CLI_CONFIG_FILE" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$TF_PLUGIN_MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
  export TF_PLUGIN_CACHE_DIR="$CACHE_DIR/plugin-cache"
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
}

need_terraform() {
  command -v terraform >/dev/null 2>&1 ||
    die "terraform is not on PATH. Install Terraform >= 1.10 (tested with 1.11.4) from https://developer.hashicorp.com/terraform/install"
  find_mirror
}

need_cdktf() {
  [ -x "$ROOT/node_modules/.bin/cdktf" ] || die "the cdktf CLI is not installed: run 'make setup' (npm ci installs cdktf-cli 0.20.12)"
}
