#!/usr/bin/env bash
# Build, tag and push every image to the repositories of the deployed ecr
# stack (after `cdktf deploy ecr`, before `cdktf deploy app`).
#   make push-image              build and push
#   make push-image DRY_RUN=1    print the exact commands, run nothing
# Repository URLs come from the ecr stack's outputs (terraform output), the
# registry and region from those URLs; no account id is written anywhere.
# ECR_OUTPUTS_JSON=file uses a saved `terraform output -json` instead.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

outputs_json() {
  if [ -n "${ECR_OUTPUTS_JSON:-}" ]; then
    cat "$ECR_OUTPUTS_JSON"; return
  fi
  need_terraform
  local dir="$ROOT/cdktf.out/stacks/ecr"
  [ -f "$dir/cdk.tf.json" ] || die "no synthesized ecr stack: run 'make synth' (and 'cdktf deploy ecr') first"
  terraform -chdir="$dir" init -input=false -no-color >"$CACHE_DIR/init-ecr-outputs.log" 2>&1 ||
    { cat "$CACHE_DIR/init-ecr-outputs.log" >&2; die "terraform init of the ecr stack failed"; }
  terraform -chdir="$dir" output -json
}

outputs=$(outputs_json)
images=$(go run . images) || die "could not list images (is the configuration valid?)"

run() {
  if [ -n "${DRY_RUN:-}" ]; then printf '%s\n' "$*"; else echo "+ $*" >&2; eval "$@"; fi
}

# Each build is also tagged with its commit (git-COMMIT): an immutable name
# the lifecycle policy keeps for the newest keepImages builds, and the way
# back to an earlier build (set imageTag to it and deploy the app stack).
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || die "not a git checkout: the commit tag needs git rev-parse HEAD"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit-dirty"

logged_in=""
while IFS=$'\t' read -r name output dockerfile context tag commit_prefix; do
  url=$(printf '%s' "$outputs" | python3 -c 'import json,sys; o=json.load(sys.stdin).get(sys.argv[1]); print(o["value"] if o else "")' "$output")
  [ -n "$url" ] || die "the ecr stack has no output $output: deploy it first with 'cdktf deploy ecr'"
  registry=${url%%/*}
  region=$(printf '%s' "$registry" | sed -n 's/^[0-9]*\.dkr\.ecr\.\([a-z0-9-]*\)\.amazonaws\.com.*$/\1/p')
  [ -n "$region" ] || die "repository URL $url is not an ECR URL (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME)"
  if [ "$logged_in" != "$registry" ]; then
    run "aws ecr get-login-password --region $region | docker login --username AWS --password-stdin $registry"
    logged_in=$registry
  fi
  # --provenance=false: one plain image, not an index with an untagged attestation.
  run "docker build --platform linux/amd64 --provenance=false -f $dockerfile -t $name:$tag $context"
  run "docker tag $name:$tag $url:$tag"
  run "docker tag $name:$tag $url:$commit_prefix$commit"
  run "docker push $url:$commit_prefix$commit"
  run "docker push $url:$tag"
done <<<"$images"
