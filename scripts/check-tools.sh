#!/usr/bin/env bash
# Checks everything the tests and `make local` need that the registries here
# cannot install, and says what to install when something is missing.
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
# R with the app's packages (make local, the app's R tests) and Chromium (the
# browser test): tests skip without them, unless REQUIRE_ALL_TOOLS=1 (CI).
optional=()
if ! command -v Rscript >/dev/null 2>&1; then
  optional+=("R is not installed: make local and the app's tests run the Shiny app under R. Install it, e.g. on Debian/Ubuntu:
    apt-get install r-base-core r-cran-shiny r-cran-jsonlite r-cran-base64enc")
elif ! Rscript -e 'for (p in c("shiny", "jsonlite", "base64enc")) loadNamespace(p)' >/dev/null 2>&1; then
  optional+=("R lacks the app's packages (shiny, jsonlite, base64enc): install them, e.g. apt-get install r-cran-shiny r-cran-jsonlite r-cran-base64enc")
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  optional+=("Chromium is not at $chromium: the browser test (go test ./e2e) drives it. Install it (Debian: apt-get install chromium) or set CHROMIUM")
fi
for msg in "${optional[@]}"; do
  if [ "${REQUIRE_ALL_TOOLS:-}" = 1 ]; then die "$msg"; fi
  echo "note: $msg" >&2
done
echo "tools: go $(go env GOVERSION), node $(node --version), terraform $tfv, provider mirror $TF_PLUGIN_MIRROR, moto $("$py" -c 'import moto; print(moto.__version__)')"
