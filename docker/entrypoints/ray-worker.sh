#!/usr/bin/env bash
# A Ray worker node, in the foreground (--block), joining the head with token authentication.
#   RAY_HEAD_ADDRESS (required)        host:port of the head's GCS (e.g. ray-head:6379)
#   RAY_AUTH_MODE=token and RAY_AUTH_TOKEN (or RAY_AUTH_TOKEN_PATH) (required): the head's token
#   RAY_NUM_CPUS, RAY_NUM_GPUS, RAY_RESOURCES, RAY_TEMP_DIR, RAY_NODE_IP, RAY_OBJECT_STORE_BYTES (optional, as ray-head)
#   SPIKESWEEP_CACHE_DIR (optional)    this node's frame cache (built here, once, by the first trial that needs it)
set -euo pipefail

: "${RAY_HEAD_ADDRESS:?set RAY_HEAD_ADDRESS}"
if [ "${RAY_AUTH_MODE:-}" != "token" ]; then echo "ray-worker: set RAY_AUTH_MODE=token" >&2; exit 2; fi
if [ -z "${RAY_AUTH_TOKEN:-}" ] && [ -z "${RAY_AUTH_TOKEN_PATH:-}" ]; then
  echo "ray-worker: set RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH" >&2; exit 2
fi
export RAY_USAGE_STATS_ENABLED="${RAY_USAGE_STATS_ENABLED:-0}"
args=(--block --address="$RAY_HEAD_ADDRESS")
if [ -n "${RAY_NUM_CPUS:-}" ]; then args+=(--num-cpus="$RAY_NUM_CPUS"); fi
if [ -n "${RAY_NUM_GPUS:-}" ]; then args+=(--num-gpus="$RAY_NUM_GPUS"); fi
if [ -n "${RAY_RESOURCES:-}" ]; then args+=(--resources="$RAY_RESOURCES"); fi
if [ -n "${RAY_TEMP_DIR:-}" ]; then args+=(--temp-dir="$RAY_TEMP_DIR"); fi
if [ -n "${RAY_NODE_IP:-}" ]; then args+=(--node-ip-address="$RAY_NODE_IP"); fi
if [ -n "${RAY_OBJECT_STORE_BYTES:-}" ]; then args+=(--object-store-memory="$RAY_OBJECT_STORE_BYTES"); fi
exec "${RAY:-ray}" start "${args[@]}"
