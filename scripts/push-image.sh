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

# The images first, so a wrong app folder stops it before Terraform runs.
# One line per image from the stacks (stacks.WriteImages): name, output,
# tag, commit tag with COMMIT in it, then the docker build arguments; notes
# about the app go to stderr.
images=$(go run . images) || die "could not list the images: see the error above"
outputs=$(outputs_json)

# run ARG...: run a command, or print it (quoted for a shell) with DRY_RUN=1.
run() {
  if [ -n "${DRY_RUN:-}" ]; then
    local quoted; printf -v quoted '%q ' "$@"; printf '%s\n' "${quoted% }"
  else
    printf '+' >&2; printf ' %q' "$@" >&2; echo >&2
    "$@"
  fi
}

login() {
  local region=$1 registry=$2
  if [ -n "${DRY_RUN:-}" ]; then
    printf 'aws ecr get-login-password --region %q | docker login --username AWS --password-stdin %q\n' "$region" "$registry"
  else
    echo "+ aws ecr get-login-password --region $region | docker login --username AWS --password-stdin $registry" >&2
    aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry"
  fi
}

# Each build is also tagged with its commit (git-COMMIT, and a hash of the
# app's files when the app lives outside this project): an immutable name
# the lifecycle policy keeps for the newest keepImages builds, and the way
# back to an earlier build (set imageTag to it and deploy the app stack).
commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || die "not a git checkout: the commit tag needs git rev-parse HEAD"
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit-dirty"

# Every image's repository first: a missing or wrong output stops it before
# anything is built.
names=(); urls=(); tags=(); commit_tags=(); builds=()
while IFS=$'\t' read -r name output tag commit_tag rest; do
  url=$(printf '%s' "$outputs" | python3 -c 'import json,sys; o=json.load(sys.stdin).get(sys.argv[1]); print(o["value"] if o else "")' "$output")
  [ -n "$url" ] || die "the ecr stack has no output $output: deploy it first with 'cdktf deploy ecr'"
  printf '%s' "$url" | grep -Eq '^[0-9]+\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/' ||
    die "repository URL $url is not an ECR URL (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME)"
  names+=("$name"); urls+=("$url"); tags+=("$tag"); builds+=("$rest")
  commit_tags+=("${commit_tag/COMMIT/"$commit"}")
done <<<"$images"

# Then every build, before any push: a failed build leaves the registry as
# it was, so no deployed tag points at half of a release.
for i in "${!names[@]}"; do
  IFS=$'\t' read -r -a build <<<"${builds[$i]}"
  local_tag="${names[$i]}:${tags[$i]}"
  # --provenance=false: one plain image, not an index with an untagged attestation.
  run docker build --platform linux/amd64 --provenance=false -t "$local_tag" "${build[@]}"
  run docker tag "$local_tag" "${urls[$i]}:${tags[$i]}"
  run docker tag "$local_tag" "${urls[$i]}:${commit_tags[$i]}"
done

# Then the pushes: the commit tags first (new names nothing deploys yet),
# the tag the app stack deploys last.
logged_in=""
for i in "${!names[@]}"; do
  registry=${urls[$i]%%/*}
  if [ "$logged_in" != "$registry" ]; then
    region=$(printf '%s' "$registry" | sed -n 's/^[0-9]*\.dkr\.ecr\.\([a-z0-9-]*\)\.amazonaws\.com.*$/\1/p')
    login "$region" "$registry"
    logged_in=$registry
  fi
  run docker push "${urls[$i]}:${commit_tags[$i]}"
done
for i in "${!names[@]}"; do
  run docker push "${urls[$i]}:${tags[$i]}"
done
