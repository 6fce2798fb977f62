#!/usr/bin/env bash
# Security gate: trivy's misconfiguration checks, offline, on
#   - the stacks, synthesized fresh for SHINY_ENV (cdktf.out is left alone),
#   - every Dockerfile under docker/,
#   - each Terraform plan given as an argument (`terraform show -json PLAN`).
# trivy misses nested blocks in .tf.json files (a known upstream limitation),
# so scan plans too where you have them: they hold the fully built resources.
#
#   scripts/scan.sh                                 stacks + Dockerfiles
#   scripts/scan.sh .cache/rehearsal/*.plan.json    + these plans
#
# Exit status: 0 clean, 1 findings, 2 a target could not be scanned (a file
# trivy cannot parse must not pass as clean). Accepted findings are listed in
# .trivyignore.yaml, each with the reason; suppressed ones are still printed.
#
# Settings (environment): SCAN_SEVERITY (default HIGH,CRITICAL);
# SCAN_STACKS_DIR=DIR scans an existing synth output (e.g. cdktf.out/stacks)
# instead of synthesizing; TRIVY=PATH uses that trivy binary (otherwise trivy
# is taken from PATH or $TOOLS_DIR, or built once into $TOOLS_DIR on first
# use, see scripts/env.sh); `scripts/scan.sh --install` only does that (CI);
# SCAN_WORK_DIR=DIR keeps the run's files there (default .cache/scan/run.*).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

TRIVY_VERSION=0.74.0
TRIVY_MODULE=github.com/aquasecurity/trivy/cmd/trivy@v$TRIVY_VERSION
SEVERITY=${SCAN_SEVERITY:-HIGH,CRITICAL}
IGNOREFILE="$ROOT/.trivyignore.yaml"
start=$(date +%s)

find_trivy() {
  if [ -n "${TRIVY:-}" ]; then
    [ -x "$TRIVY" ] || die "TRIVY=$TRIVY is not an executable"
  elif command -v trivy >/dev/null 2>&1; then
    TRIVY=$(command -v trivy)
  elif [ -x "$TOOLS_DIR/trivy" ]; then
    TRIVY="$TOOLS_DIR/trivy"
  else
    # Installed on first use, not by `make setup`: building it takes about
    # 10 minutes, and a newcomer's first `make synth` should not wait for it.
    command -v go >/dev/null || die "trivy is not installed and go is not on PATH to build it: install Go 1.26, or trivy $TRIVY_VERSION (https://trivy.dev)"
    echo "scan: installing the security scanner trivy $TRIVY_VERSION, which 'make scan' (and so 'make test') needs" >&2
    echo "scan: it checks the stacks, the Dockerfiles and the plans for misconfigurations, offline." >&2
    echo "scan: building it from source into $TOOLS_DIR: once per machine, about 10 minutes on 2 cores..." >&2
    mkdir -p "$TOOLS_DIR"
    GOBIN="$TOOLS_DIR" GOEXPERIMENT=jsonv2 go install \
      -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=$TRIVY_VERSION" "$TRIVY_MODULE" ||
      die "building trivy failed (go install $TRIVY_MODULE)"
    echo "scan: trivy installed at $TOOLS_DIR/trivy" >&2
    TRIVY="$TOOLS_DIR/trivy"
  fi
}

find_trivy
if [ "${1:-}" = "--install" ]; then
  echo "scan: trivy at $TRIVY"
  exit 0
fi
[ -f "$IGNOREFILE" ] || die "no $IGNOREFILE: it lists the accepted findings"
for plan in "$@"; do
  [ -f "$plan" ] || die "no such plan file: $plan (give files written by 'terraform show -json PLAN')"
done
# A folder per run (runs may overlap), removed after a clean run; kept, with
# trivy's JSON results and logs, when there is something to look at.
if [ -n "${SCAN_WORK_DIR:-}" ]; then
  WORK=$SCAN_WORK_DIR own_work=""
else
  mkdir -p "$CACHE_DIR/scan"
  WORK=$(mktemp -d "$CACHE_DIR/scan/run.XXXXXX") own_work=1
fi
mkdir -p "$WORK/results"

# The stacks, synthesized now so the scan never sees stale output.
if [ -n "${SCAN_STACKS_DIR:-}" ]; then
  stacks=$SCAN_STACKS_DIR
else
  echo "scan: synthesizing the stacks of environment ${SHINY_ENV:-dev}..."
  CDKTF_OUTDIR="$WORK/cdktf.out" go run . >"$WORK/synth.log" 2>&1 ||
    { cat "$WORK/synth.log" >&2; die "synthesizing the stacks failed"; }
  stacks="$WORK/cdktf.out/stacks"
fi
compgen -G "$stacks/*/cdk.tf.json" >/dev/null || die "no $stacks/*/cdk.tf.json to scan"

# Plans, prepared for trivy (a copy; the plan itself is not changed):
# - The plan's configuration of a cdktf stack is JSON, where "${res.attr}" is
#   a reference. Terraform reports it both as a references list and as a
#   constant_value holding that literal text; trivy then picks one of the two
#   at random, and with the text it loses the reference and reports the
#   attribute as not set (e.g. AWS-0067 on a Lambda permission whose source_arn
#   is the EventBridge rule's arn). The literal is dropped, so trivy follows
#   the reference.
# - Unknown list items are null in a plan, and trivy fails to parse them; they
#   become the text "(known after apply)", as `terraform plan` shows them.
prepare_plan() { # IN OUT
  python3 - "$1" "$2" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
try:
    with open(src) as f:
        plan = json.load(f)
except (OSError, ValueError) as e:
    sys.exit(f"{src}: not JSON: {e}")
if not isinstance(plan, dict) or "resource_changes" not in plan or "configuration" not in plan:
    sys.exit(f"{src}: not a Terraform plan (write it with: terraform show -json PLAN > FILE)")

def references_only(v):
    if isinstance(v, dict):
        if v.get("references") and isinstance(v.get("constant_value"), str) and "${" in v["constant_value"]:
            v = {k: x for k, x in v.items() if k != "constant_value"}
        return {k: references_only(x) for k, x in v.items()}
    if isinstance(v, list):
        return [references_only(x) for x in v]
    return v

def no_null_items(v):
    if isinstance(v, list):
        return ["(known after apply)" if x is None else no_null_items(x) for x in v]
    if isinstance(v, dict):
        return {k: no_null_items(x) for k, x in v.items()}
    return v

plan["configuration"] = references_only(plan["configuration"])
with open(dst, "w") as f:
    json.dump(no_null_items(plan), f)
PY
}

# run_trivy NAME SCANNER TARGET [FLAGS...]: trivy with the ignore file (the
# verdict) to results/NAME.json, and without it to results/NAME.all.json (to
# list what the ignore file suppressed: `trivy config` cannot show it).
# Any ERROR in trivy's log means a file was not (fully) scanned, except the
# notice that the offline run uses the checks built into trivy.
failed_runs=()
: >"$WORK/no-ignores.yaml"
run_trivy() {
  local name=$1 scanner=$2 target=$3 ignore out log
  shift 3
  for ignore in "$IGNOREFILE" "$WORK/no-ignores.yaml"; do
    out="$WORK/results/$name.json" log="$WORK/results/$name.log"
    if [ "$ignore" != "$IGNOREFILE" ]; then out="$WORK/results/$name.all.json" log="$WORK/results/$name.all.log"; fi
    if ! "$TRIVY" config --cache-dir "$WORK/trivy-cache" \
        --skip-check-update --skip-version-check --disable-telemetry \
        --misconfig-scanners "$scanner" --severity "$SEVERITY" --ignorefile "$ignore" \
        --format json --output "$out" "$@" "$target" 2>"$log"; then
      echo "scan: trivy failed on $target:" >&2; sed 's/^/  /' "$log" >&2
      failed_runs+=("$target"); return
    fi
  done
  log="$WORK/results/$name.log"
  if grep 'ERROR' "$log" | grep -v 'Falling back to embedded checks' >/dev/null; then
    echo "scan: trivy could not scan all of $target:" >&2
    grep 'ERROR' "$log" | grep -v 'Falling back to embedded checks' | sed 's/^/  /' >&2
    failed_runs+=("$target")
  fi
}

echo "scan: trivy $("$TRIVY" --version | sed -n 's/^Version: //p'), severity $SEVERITY, ignore file .trivyignore.yaml"
run_trivy stacks terraform "$stacks" --skip-dirs '**/.terraform' --tf-exclude-downloaded-modules
run_trivy dockerfiles dockerfile docker
i=0
for plan in "$@"; do
  i=$((i + 1))
  prepared="$WORK/plan-$i.json"
  if prepare_plan "$plan" "$prepared"; then
    run_trivy "plan-$i" terraformplan-json "$prepared"
    printf '%s\n' "$plan" >"$WORK/results/plan-$i.source"
  else
    failed_runs+=("$plan")
  fi
done

# Report: every finding and every suppression, then the verdict. Every
# Dockerfile must have been recognised, and every plan must have yielded results.
python3 - "$WORK/results" "$IGNOREFILE" <<'PY' || status=$?
import glob, json, os, subprocess, sys
from collections import Counter
results_dir, ignorefile = sys.argv[1], sys.argv[2]
failures, suppressed, problems = [], {}, []

statements = {}  # check id -> statement, when PyYAML is there to read them
try:
    import yaml
    for entry in (yaml.safe_load(open(ignorefile)) or {}).get("misconfigurations") or []:
        statements[entry.get("id")] = " ".join((entry.get("statement") or "").split())
except ImportError:
    pass

def label(name, target):
    if name == "stacks":
        return os.path.join("stacks", target)
    if name == "dockerfiles":
        return os.path.join("docker", target)
    src = open(os.path.join(results_dir, name + ".source")).read().strip()
    return f"{src} (plan)"

def findings(path):
    out = []
    for r in json.load(open(path)).get("Results") or []:
        for m in r.get("Misconfigurations") or []:
            if m.get("Status") == "FAIL":
                out.append((r["Target"], m))
    return out

def key(target, m):  # no line number: trivy's plan conversion does not keep lines stable
    return (target, m["ID"], (m.get("CauseMetadata") or {}).get("Resource"))

for path in sorted(glob.glob(os.path.join(results_dir, "*.json"))):
    name = os.path.basename(path)[:-5]
    if name.endswith(".all"):
        continue
    results = json.load(open(path)).get("Results") or []
    if name.startswith("plan-") and not results:
        problems.append(f"{label(name, '')}: trivy found no Terraform plan in it")
    if name == "dockerfiles":
        seen = {r["Target"] for r in results}
        files = subprocess.run(["find", "docker", "-type", "f", "(", "-name", "Dockerfile", "-o", "-name", "*.Dockerfile", ")"],
                               capture_output=True, text=True, check=True).stdout.split()
        for f in files:
            if os.path.relpath(f, "docker") not in seen:
                problems.append(f"{f}: trivy did not recognise it as a Dockerfile")
    # The verdict is the run with the ignore file; the run without it only
    # adds what was suppressed.
    kept = findings(path)
    for target, m in kept:
        cm = m.get("CauseMetadata") or {}
        where = label(name, target) + (f":{cm['StartLine']}" if cm.get("StartLine") else "")
        failures.append(f"  {m['Severity']:8} {m['ID']}  {cm.get('Resource') or '-'}  [{where}]\n"
                        f"           {m['Title']}: {m.get('Message', '')}\n           {m.get('PrimaryURL', '')}")
    remaining = Counter(key(t, m) for t, m in kept)
    unfiltered = os.path.join(results_dir, name + ".all.json")
    for target, m in findings(unfiltered) if os.path.exists(unfiltered) else []:
        k = key(target, m)
        if remaining[k] > 0:
            remaining[k] -= 1
            continue
        why = statements.get(m["ID"]) or next((statements[a] for a in m.get("Aliases") or [] if a in statements), "")
        suppressed.setdefault((m["ID"], m["Severity"], why), []).append(f"{k[2] or '-'}  [{label(name, target)}]")

count = sum(len(v) for v in suppressed.values())
if suppressed:
    print(f"Suppressed by .trivyignore.yaml ({count}):")
    for (check, severity, why), places in suppressed.items():
        print(f"  {severity:8} {check}")
        for place in places:
            print(f"           {place}")
        if why:
            print(f"           why: {why}")
if failures:
    print(f"FINDINGS ({len(failures)}):")
    print("\n".join(failures))
for p in problems:
    print(f"NOT SCANNED: {p}")
print(f"scan: {len(failures)} finding(s), {count} suppressed")
sys.exit(2 if problems else 1 if failures else 0)
PY
status=${status:-0}
if [ "${#failed_runs[@]}" -gt 0 ]; then
  printf 'NOT SCANNED: %s\n' "${failed_runs[@]}"
  status=2
fi
if [ "$status" = 0 ]; then
  [ -z "$own_work" ] || rm -rf "$WORK"
  echo "scan: done in $(($(date +%s) - start)) s"
else
  echo "scan: done in $(($(date +%s) - start)) s; trivy's results and logs: ${WORK#"$ROOT"/}/results"
fi
case $status in
  0) echo "scan: passed" ;;
  1) echo "scan: FAILED: fix the findings above, or accept one in .trivyignore.yaml with a statement saying why" ;;
  *) echo "scan: FAILED: some targets could not be scanned (see above)" ;;
esac
exit "$status"
