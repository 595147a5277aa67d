#!/usr/bin/env bash
# Data-plane benchmark (issue #6), MCP benchmark (issue #12), agents-as-models benchmark (issue #13), Responses API benchmark
# (issue #14), extensions benchmark (issue #15), WAF benchmark (issue #16) and HTTPS benchmark (issue #17): the single entry point, `npm run bench`.
#
#   bash bench/run.sh            full run; rewrites the "## Data plane", "## MCP", "## Agents as models", "## Responses API", "## Extensions", "## WAF" and "## HTTPS (issue #17)" sections of BENCHMARKS.md
#   BENCH_ONLY=latency,ttft bash bench/run.sh    some data-plane sections only (BENCHMARKS.md left alone)
#   BENCH_ONLY=mcp bash bench/run.sh             the MCP bench only (bench/mcp/mcp-bench.ts; rewrites "## MCP")
#   BENCH_ONLY=agents bash bench/run.sh          the agents bench only (bench/agents/agents-bench.ts; rewrites "## Agents as models")
#   BENCH_ONLY=responses bash bench/run.sh       the Responses bench only (bench/responses/responses-bench.ts; rewrites "## Responses API")
#   BENCH_ONLY=extensions bash bench/run.sh      the extensions bench only (bench/extensions/extensions-bench.ts; rewrites "## Extensions")
#   BENCH_ONLY=waf bash bench/run.sh             the WAF bench only (bench/waf/waf-bench.ts; rewrites "## WAF")
#   BENCH_ONLY=tls bash bench/run.sh             the HTTPS bench only (bench/tls/tls-bench.ts; rewrites "## HTTPS (issue #17)"; also run by a full run, last)
#   BENCH_ONLY=compression bash bench/run.sh     the compression bench only (bench/compression/compression-bench.ts; rewrites "## Compression"; a full run runs it after the HTTPS bench)
#
# Idempotent: installs only what is missing (Debian: nginx-light, wrk, hey, redis-server, nghttp2-client for h2load; npm:
# bench/peers with Portkey), compiles the repo (npx tsc -p tsconfig.json), runs the driver
# bench/dataplane-bench.ts, bench/mcp/mcp-bench.ts, bench/agents/agents-bench.ts, bench/responses/responses-bench.ts,
# bench/extensions/extensions-bench.ts, bench/waf/waf-bench.ts then bench/tls/tls-bench.ts on CPU 0,
# and on exit stops every process it started (each driver runs in its own process group, which is signalled as a whole). Settings:
# BENCH_* variables, listed at the head of bench/dataplane-bench.ts, of bench/mcp/mcp-bench.ts (BENCH_MCP_*), of
# bench/agents/agents-bench.ts (BENCH_AGENTS_*), of bench/responses/responses-bench.ts (BENCH_RESPONSES_*), of
# bench/extensions/extensions-bench.ts (BENCH_EXTENSIONS_*), of bench/waf/waf-bench.ts (BENCH_WAF_*) and of
# bench/tls/tls-bench.ts (BENCH_TLS_*);
# BENCH_ALLOW_TSC_ERRORS=1 benches lib/ even when tsc reports errors.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$PWD"
log() { printf '[bench/run.sh] %s\n' "$*" >&2; }

DRIVER_PGID=""
# Stops whatever is left of the current driver's process group (the driver, and anything it started).
stop_driver_group() {
  if [[ -n "$DRIVER_PGID" ]] && kill -0 -- "-$DRIVER_PGID" 2>/dev/null; then
    log "stopping the bench's processes (process group $DRIVER_PGID)"
    kill -TERM -- "-$DRIVER_PGID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$DRIVER_PGID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$DRIVER_PGID" 2>/dev/null || true
  fi
  DRIVER_PGID=""
}
cleanup() {
  local status=$?
  stop_driver_group
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- which drivers
# "mcp", "agents", "responses", "extensions", "waf" and "tls" in BENCH_ONLY select those drivers; the other names are the data-plane driver's sections.
RUN_DATAPLANE=1
RUN_MCP=1
RUN_AGENTS=1
RUN_RESPONSES=1
RUN_EXTENSIONS=1
RUN_WAF=1
RUN_TLS=1
RUN_COMPRESSION=1
DATAPLANE_ONLY=""
if [[ -n "${BENCH_ONLY:-}" ]]; then
  IFS=',' read -ra only_sections <<<"$BENCH_ONLY"
  RUN_MCP=0
  RUN_AGENTS=0
  RUN_RESPONSES=0
  RUN_EXTENSIONS=0
  RUN_WAF=0
  RUN_TLS=0
  RUN_COMPRESSION=0
  for s in "${only_sections[@]}"; do
    s="${s// /}"
    if [[ "$s" == "mcp" ]]; then
      RUN_MCP=1
    elif [[ "$s" == "agents" ]]; then
      RUN_AGENTS=1
    elif [[ "$s" == "responses" ]]; then
      RUN_RESPONSES=1
    elif [[ "$s" == "extensions" ]]; then
      RUN_EXTENSIONS=1
    elif [[ "$s" == "waf" ]]; then
      RUN_WAF=1
    elif [[ "$s" == "tls" ]]; then
      RUN_TLS=1
    elif [[ "$s" == "compression" ]]; then
      RUN_COMPRESSION=1
    elif [[ -n "$s" ]]; then
      DATAPLANE_ONLY="${DATAPLANE_ONLY:+$DATAPLANE_ONLY,}$s"
    fi
  done
  [[ -n "$DATAPLANE_ONLY" ]] || RUN_DATAPLANE=0
fi

# ---------------------------------------------------------------- tools (Debian packages)
need_apt=()
if [[ "$RUN_DATAPLANE" == "1" ]]; then
  command -v nginx >/dev/null || need_apt+=(nginx-light)
  command -v wrk >/dev/null || need_apt+=(wrk)
  command -v hey >/dev/null || need_apt+=(hey)
  command -v redis-server >/dev/null || need_apt+=(redis-server)
fi
if [[ "$RUN_TLS" == "1" ]]; then
  command -v nginx >/dev/null || need_apt+=(nginx-light)
  command -v wrk >/dev/null || need_apt+=(wrk)
  command -v h2load >/dev/null || need_apt+=(nghttp2-client)
fi
command -v taskset >/dev/null || need_apt+=(util-linux)
if ((${#need_apt[@]} > 0)); then
  log "installing ${need_apt[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  # policy-rc.d 101: the packages must not start system services (nginx on :80, redis on :6379).
  if [[ -z "$SUDO" && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
fi

# ---------------------------------------------------------------- peers (npm)
if [[ "$RUN_DATAPLANE" == "1" ]] && { [[ ! -f bench/peers/node_modules/@portkey-ai/gateway/build/start-server.js ]] ||
  ! grep -q '"version": "1.13.8"' bench/peers/node_modules/@hono/node-server/package.json 2>/dev/null; }; then
  log "installing bench/peers (Portkey, @hono/node-server overridden to 1.13.8)"
  (cd bench/peers && npm install --prefer-offline --no-audit --no-fund)
fi

# ---------------------------------------------------------------- compile
[[ -d node_modules/ts-node ]] || { log "installing the repo's dependencies"; npm ci --prefer-offline --no-audit --no-fund; }
log "compiling (npx tsc -p tsconfig.json)"
if ! npx tsc -p tsconfig.json; then
  # tsc still writes lib/ (noEmitOnError is off), but a bench of code that does not compile proves little.
  if [[ "${BENCH_ALLOW_TSC_ERRORS:-}" == "1" ]]; then
    log "tsc reported errors; BENCH_ALLOW_TSC_ERRORS=1: benchmarking lib/ as emitted"
  else
    log "tsc reported errors (set BENCH_ALLOW_TSC_ERRORS=1 to bench lib/ as emitted anyway)"
    exit 1
  fi
fi

# ---------------------------------------------------------------- limits
# 20,000 idle client connections need 20,000+ descriptors in aigw (and in the clients): raise the soft
# limit as far as the hard limit allows (the driver reports what it could hold).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "open-file limit: $(ulimit -n) (hard $(ulimit -Hn)); CPUs: $(nproc)"
if [[ $(nproc) -lt 2 ]]; then
  log "needs 2 CPUs (contender on CPU 1, load generators on CPU 0); found $(nproc)"
  exit 1
fi

# ---------------------------------------------------------------- run
# Each driver in its own process group (set -m), on CPU 0 with the load generators; contenders pin themselves to CPU 1.
run_driver() {
  local script="$1"
  shift
  set -m
  env "$@" taskset -c 0 node -r ts-node/register/transpile-only "$script" &
  DRIVER_PID=$!
  set +m
  DRIVER_PGID=$(ps -o pgid= -p "$DRIVER_PID" | tr -d ' ' || true)
  local driver_status=0
  wait "$DRIVER_PID" || driver_status=$?
  stop_driver_group
  return "$driver_status"
}

status=0
if [[ "$RUN_DATAPLANE" == "1" ]]; then
  run_driver bench/dataplane-bench.ts BENCH_ONLY="$DATAPLANE_ONLY" || status=$?
fi
if [[ "$RUN_MCP" == "1" ]]; then
  log "MCP bench (bench/mcp/mcp-bench.ts)"
  run_driver bench/mcp/mcp-bench.ts || status=$?
fi
if [[ "$RUN_AGENTS" == "1" ]]; then
  log "agents-as-models bench (bench/agents/agents-bench.ts)"
  run_driver bench/agents/agents-bench.ts || status=$?
fi
if [[ "$RUN_RESPONSES" == "1" ]]; then
  log "Responses API bench (bench/responses/responses-bench.ts)"
  run_driver bench/responses/responses-bench.ts || status=$?
fi
if [[ "$RUN_EXTENSIONS" == "1" ]]; then
  log "extensions bench (bench/extensions/extensions-bench.ts)"
  run_driver bench/extensions/extensions-bench.ts || status=$?
fi
if [[ "$RUN_WAF" == "1" ]]; then
  log "WAF bench (bench/waf/waf-bench.ts)"
  run_driver bench/waf/waf-bench.ts || status=$?
fi
if [[ "$RUN_TLS" == "1" ]]; then
  log "HTTPS bench (bench/tls/tls-bench.ts)"
  run_driver bench/tls/tls-bench.ts || status=$?
fi
if [[ "$RUN_COMPRESSION" == "1" ]]; then
  log "compression bench (bench/compression/compression-bench.ts)"
  run_driver bench/compression/compression-bench.ts || status=$?
fi
exit "$status"
