#!/usr/bin/env bash
# The Ray head node, in the foreground (--block), with token authentication.
#   RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH) (required): every node and driver uses the same
#   RAY_PORT (default 6379)            the GCS port workers and drivers connect to
#   RAY_NUM_CPUS, RAY_NUM_GPUS (default: detected; RAY_NUM_GPUS=0 keeps trials off the head)
#   RAY_RESOURCES (optional)           custom resources as JSON, e.g. {"head": 1}
#   RAY_TEMP_DIR (optional)            Ray's session folder on this node
#   RAY_NODE_IP (optional)             the address other nodes reach this one at
#   RAY_OBJECT_STORE_BYTES (optional)  object store size
#   RAY_DASHBOARD_HOST (default 127.0.0.1; the dashboard is off unless RAY_DASHBOARD=1)
#   SPIKESWEEP_CACHE_DIR (optional)    this node's frame cache (read by the trials; the driver's home otherwise)
set -euo pipefail

if [ "${RAY_AUTH_MODE:-}" != "token" ]; then echo "ray-head: set RAY_AUTH_MODE=token" >&2; exit 2; fi
if [ -z "${RAY_AUTH_TOKEN:-}" ] && [ -z "${RAY_AUTH_TOKEN_PATH:-}" ]; then
  echo "ray-head: set RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH" >&2; exit 2
fi
export RAY_USAGE_STATS_ENABLED="${RAY_USAGE_STATS_ENABLED:-0}"
args=(--head --block --port="${RAY_PORT:-6379}" --dashboard-host="${RAY_DASHBOARD_HOST:-127.0.0.1}")
if [ "${RAY_DASHBOARD:-0}" = 1 ]; then args+=(--include-dashboard=true); else args+=(--include-dashboard=false); fi
if [ -n "${RAY_NUM_CPUS:-}" ]; then args+=(--num-cpus="$RAY_NUM_CPUS"); fi
if [ -n "${RAY_NUM_GPUS:-}" ]; then args+=(--num-gpus="$RAY_NUM_GPUS"); fi
if [ -n "${RAY_RESOURCES:-}" ]; then args+=(--resources="$RAY_RESOURCES"); fi
if [ -n "${RAY_TEMP_DIR:-}" ]; then args+=(--temp-dir="$RAY_TEMP_DIR"); fi
if [ -n "${RAY_NODE_IP:-}" ]; then args+=(--node-ip-address="$RAY_NODE_IP"); fi
if [ -n "${RAY_OBJECT_STORE_BYTES:-}" ]; then args+=(--object-store-memory="$RAY_OBJECT_STORE_BYTES"); fi
exec "${RAY:-ray}" start "${args[@]}"
