#!/usr/bin/env bash
# Reproducibility check: synthesize the committed tree from two different
# folders and require byte-identical stack files (and assets).
set -euo pipefail
source "$(dirname "$0")/env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in a b; do
  mkdir -p "$work/$side/project-$side"
  # The tracked files plus uncommitted edits, without build output or state.
  (cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work/$side/project-$side"
  (cd "$work/$side/project-$side" && go run . >/dev/null) || die "synth failed in $work/$side"
done
if diff -r "$work/a/project-a/cdktf.out" "$work/b/project-b/cdktf.out" >"$work/diff" 2>&1; then
  echo "reproducible: $(cd "$work/a/project-a/cdktf.out" && find . -type f | wc -l) files identical across two folders"
else
  head -50 "$work/diff" >&2
  die "synthesized output differs between two folders"
fi
