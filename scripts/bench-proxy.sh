#!/usr/bin/env bash
# make bench-proxy: the session sidecar (./sessionagent) and nginx side by
# side in front of the same Shiny server (R, docker/shiny/run.R), and Shiny
# directly: memory per idle websocket session, req/s for a small response,
# Shiny message round-trip latency. Prints a table and writes it to
# .cache/bench/proxy.md. The measuring is bench/proxy (Go); this script
# starts and stops the servers.
#
# Everything runs in a private network namespace that has only a loopback
# interface: the sidecar listens on all interfaces (it has no listen-host
# setting), so there it can be reached from loopback only. That takes root
# (unshare --net).
#
# Settings (environment): BENCH_SESSIONS (default 1000), BENCH_ARGS (more
# flags for bench/proxy, e.g. "-load-duration 5s"; see go run ./bench/proxy -h).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

# Fixed ports: the namespace is private, nothing else listens there.
SHINY_PORT=3838
SIDECAR_PORT=8080
NGINX_PORT=8081

if [ "${1:-}" != "--in-netns" ]; then
  command -v Rscript >/dev/null || die "Rscript is not on PATH: install R (Debian: apt-get install r-base-core)"
  Rscript -e 'quit(status = !requireNamespace("shiny", quietly = TRUE))' >/dev/null 2>&1 ||
    die "the R package shiny is not installed: apt-get install r-cran-shiny (or install.packages(\"shiny\"))"
  NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
  [ -x "$NGINX" ] || die "nginx is not installed: apt-get install nginx-light (or set NGINX=/path/to/nginx)"
  command -v unshare >/dev/null && command -v ip >/dev/null || die "unshare and ip are needed: apt-get install util-linux iproute2"
  [ "$(id -u)" = 0 ] || die "run as root: the benchmark runs in a private network namespace (unshare --net), so the sidecar, which listens on all interfaces, is reachable from loopback only"

  work=$(mktemp -d "${TMPDIR:-/tmp}/bench-proxy.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "bench-proxy: building sessionagent and bench/proxy" >&2
  go build -o "$work/sessionagent" ./sessionagent
  go build -o "$work/bench-proxy" ./bench/proxy
  about="$(nproc) CPUs; $("$NGINX" -v 2>&1 | sed 's|nginx version: ||'); $(Rscript -e 'cat(R.version.string)'); shiny $(Rscript -e 'cat(format(packageVersion("shiny")))'); httpuv $(Rscript -e 'cat(format(packageVersion("httpuv")))'); $(go env GOVERSION)"
  # In the background, so a SIGTERM to this script reaches the inner one,
  # which stops its servers.
  NGINX=$NGINX BENCH_ABOUT=$about unshare --net -- "$0" --in-netns "$work" &
  inner=$!
  trap 'kill -TERM "$inner" 2>/dev/null || true' INT TERM
  status=0
  wait "$inner" || status=$?
  while kill -0 "$inner" 2>/dev/null; do wait "$inner" || status=$?; done
  exit "$status"
fi

# Inside the namespace.
work=$2
ip link set lo up
ulimit -n "$(ulimit -Hn)" # 1000 sessions: two sockets each in a proxy, one in R, one in the client

pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

show_logs() {
  local f
  for f in "$work"/*.log; do
    echo "--- last lines of $(basename "$f")" >&2
    tail -n 20 "$f" >&2
  done
}

SHINY_HOST=127.0.0.1 SHINY_PORT=$SHINY_PORT SHINY_APP_DIR="$ROOT/bench/proxy/app" \
  Rscript docker/shiny/run.R >"$work/shiny.log" 2>&1 &
shiny_pid=$!
pids+=("$shiny_pid")

SESSION_AGENT_PORT=$SIDECAR_PORT SHINY_UPSTREAM_URL="http://127.0.0.1:$SHINY_PORT" \
  "$work/sessionagent" >"$work/sessionagent.log" 2>&1 &
sidecar_pid=$!
pids+=("$sidecar_pid")

nginx_prefix="$work/nginx"
mkdir -p "$nginx_prefix"
chmod 755 "$work" "$nginx_prefix" # workers run as nobody
sed -e "s|@PREFIX@|$nginx_prefix|g" -e "s|@LISTEN@|127.0.0.1:$NGINX_PORT|g" \
  -e "s|@UPSTREAM@|127.0.0.1:$SHINY_PORT|g" bench/proxy/nginx.conf >"$nginx_prefix/nginx.conf"
"$NGINX" -p "$nginx_prefix" -c "$nginx_prefix/nginx.conf" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
nginx_pid=$!
pids+=("$nginx_pid")

# In the background, so a signal stops it at once rather than after it ends.
# shellcheck disable=SC2086 # BENCH_ARGS is a list of flags
"$work/bench-proxy" \
  -direct "http://127.0.0.1:$SHINY_PORT" -shiny-pid "$shiny_pid" \
  -sidecar "http://127.0.0.1:$SIDECAR_PORT" -sidecar-pid "$sidecar_pid" \
  -nginx "http://127.0.0.1:$NGINX_PORT" -nginx-pid "$nginx_pid" \
  -sessions "${BENCH_SESSIONS:-1000}" -about "$BENCH_ABOUT" \
  -out "$CACHE_DIR/bench/proxy.md" ${BENCH_ARGS:-} &
bench_pid=$!
pids=("$bench_pid" "${pids[@]}")
wait "$bench_pid" || { show_logs; exit 1; }
echo "bench-proxy: written to .cache/bench/proxy.md" >&2
