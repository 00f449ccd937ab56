"""Test-wide environment: no Ray token auth, no usage stats, never attach to a running cluster, one thread."""

import os

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.pop("RAY_ADDRESS", None)
os.environ.setdefault("OMP_NUM_THREADS", "1")
