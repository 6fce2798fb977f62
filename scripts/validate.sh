#!/usr/bin/env bash
# terraform init (from the provider mirror) + terraform validate for every
# synthesized stack in cdktf.out. Run `make synth` first.
set -euo pipefail
source "$(dirname "$0")/env.sh"
need_terraform

stacks=("$ROOT"/cdktf.out/stacks/*/)
[ -d "${stacks[0]}" ] || die "no synthesized stacks in cdktf.out/stacks: run 'make synth' first"
for dir in "${stacks[@]}"; do
  name=$(basename "$dir")
  echo "== terraform validate: $name"
  # -backend=false: validation needs no state, and the real backend may be S3.
  terraform -chdir="$dir" init -backend=false -input=false -no-color >"$CACHE_DIR/init-$name.log" 2>&1 ||
    { cat "$CACHE_DIR/init-$name.log" >&2; die "terraform init failed for stack $name"; }
  terraform -chdir="$dir" validate -no-color
done
