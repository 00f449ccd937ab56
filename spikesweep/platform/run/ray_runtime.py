"""Starting Ray: a local instance by default, a cluster when RAY_ADDRESS or --address names one."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import spikesweep

from .packing import probe_key

log = logging.getLogger(__name__)

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
    ray.init(
        num_cpus=os.cpu_count() or 1,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=OBJECT_STORE_BYTES,
        logging_level=logging.WARNING,
    )
    return True


def trial_resources(cpu: float, gpu: float) -> dict[str, float]:
    """Resources per trial; GPUs only where the cluster has them (else trials would stay PENDING forever)."""
    import ray

    resources = {"cpu": cpu}
    if gpu > 0 and ray.cluster_resources().get("GPU", 0) > 0:
        resources["gpu"] = gpu
    return resources


def cluster_gpus() -> float:
    """GPUs in the Ray cluster (0 on a CPU cluster)."""
    import ray

    return float(ray.cluster_resources().get("GPU", 0))


def probe_on_gpus(configs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`workers.probe_trial` once per distinct probe key, each a Ray task holding one whole GPU (probes of
    different keys run side by side on a multi-GPU cluster); results by key. A failed probe is logged and left
    out, so its trials get the plan's fallback fraction."""
    import ray

    from ...workers import probe_trial

    by_key: dict[str, Mapping[str, Any]] = {}
    for config in configs:
        if config.get("device") != "cpu":
            by_key.setdefault(probe_key(config), config)
    task = ray.remote(num_gpus=1, num_cpus=1)(probe_trial)
    pending = {key: task.remote(dict(config)) for key, config in by_key.items()}
    results: dict[str, dict[str, Any]] = {}
    for key, ref in pending.items():
        try:
            results[key] = ray.get(ref)
        except Exception as error:  # a probe that fails must not stop the study
            log.warning("GPU probe failed (%s: %s); its trials get the fallback fraction", type(error).__name__, error)
    return results
