"""Starting Ray: a local instance by default, a cluster when RAY_ADDRESS or --address names one."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import spikesweep

OBJECT_STORE_BYTES = 128 * 2**20


def _export_pythonpath() -> None:
    """Ray workers do not inherit sys.path: put this package's root on PYTHONPATH before ray.init."""
    root = str(Path(spikesweep.__file__).resolve().parents[1])
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *parts])


def start_ray(address: str | None = None) -> bool:
    """Connect to `address`/RAY_ADDRESS, or start a local Ray sized to this machine; True if we started it."""
    import ray

    _export_pythonpath()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # the CLI prints its own progress lines
    # MLflow is the record: Tune's default TensorBoard/CSV/JSON loggers would write files nobody reads (and warn
    # once per trial about the per-layer energy table they cannot log)
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    # ...whose absence makes Tune's result grid warn that it found no result.json: the driver never reads it
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    target = address or os.environ.get("RAY_ADDRESS")
    if ray.is_initialized():
        return False
    if target:
        ray.init(address=target, log_to_driver=False, logging_level=logging.WARNING)
        return False
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a local, private instance: no token file in ~/.ray
    ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
             object_store_memory=OBJECT_STORE_BYTES, logging_level=logging.WARNING)
    return True


def trial_resources(cpu: float, gpu: float) -> dict[str, float]:
    """Resources per trial; GPUs only where the cluster has them (else trials would stay PENDING forever)."""
    import ray

    resources = {"cpu": cpu}
    if gpu > 0 and ray.cluster_resources().get("GPU", 0) > 0:
        resources["gpu"] = gpu
    return resources
