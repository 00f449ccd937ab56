#!/usr/bin/env bash
# The MLflow tracking server on PostgreSQL, serving artifacts itself (clients use `mlflow-artifacts:`).
#   MLFLOW_BACKEND_STORE_URI (required)    e.g. postgresql+psycopg2://user:pw@postgres:5432/mlflow; read by mlflow
#                                          from the environment, so the password never appears on a command line
#   MLFLOW_ARTIFACTS_DESTINATION (default /mlartifacts)   where the server keeps artifacts (a volume)
#   MLFLOW_HOST (default 127.0.0.1), MLFLOW_PORT (default 5000), MLFLOW_WORKERS (default 1)
#   MLFLOW_ALLOWED_HOSTS (default "localhost,localhost:*,127.0.0.1,127.0.0.1:*"): Host headers the server accepts
#   PYTHON (default python)
set -euo pipefail

: "${MLFLOW_BACKEND_STORE_URI:?set MLFLOW_BACKEND_STORE_URI}"
export MLFLOW_BACKEND_STORE_URI
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION="${MLFLOW_SERVER_ENABLE_JOB_EXECUTION:-false}"
exec "${PYTHON:-python}" -m mlflow server \
  --host "${MLFLOW_HOST:-127.0.0.1}" \
  --port "${MLFLOW_PORT:-5000}" \
  --workers "${MLFLOW_WORKERS:-1}" \
  --serve-artifacts \
  --artifacts-destination "${MLFLOW_ARTIFACTS_DESTINATION:-/mlartifacts}" \
  --allowed-hosts "${MLFLOW_ALLOWED_HOSTS:-localhost,localhost:*,127.0.0.1,127.0.0.1:*}"
