#!/usr/bin/env bash
# Checks everything the tests need that the registries here cannot install,
# and says what to install when something is missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
command -v go >/dev/null || die "go is not on PATH: install Go 1.26 (https://go.dev/dl/)"
command -v node >/dev/null || die "node is not on PATH: install Node.js 20 or newer (jsii runs the cdktf libraries in Node.js)"
need_terraform
need_cdktf
tfv=$(terraform version -json | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')
case "$tfv" in
  1.1[0-9].*|1.[2-9][0-9].*) ;;
  *) die "terraform $tfv is too old: install Terraform >= 1.10 (tested with 1.11.4)";;
esac
py=${MOTO_PYTHON:-python3}
"$py" -c 'import moto, sys; sys.exit(0 if moto.__version__.startswith("5.") else 1)' 2>/dev/null ||
  die "moto 5 is not installed for $py: the tests run a local AWS API. Install it with
    pip install 'moto[server]==5.2.1'
  or set MOTO_PYTHON to a Python that has it."
echo "tools: go $(go env GOVERSION), node $(node --version), terraform $tfv, provider mirror $TF_PLUGIN_MIRROR, moto $("$py" -c 'import moto; print(moto.__version__)')"
