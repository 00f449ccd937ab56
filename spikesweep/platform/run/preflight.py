"""Checks a validated study must pass before `submit` writes anything (home folders, registry row, Ray, MLflow,
Optuna): the home can be written, every dataset is in the data directory, and one trial's resources fit a node.

Each problem is a UserError in the user's words (exit 2); the study name stays free.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...workers import DatasetMissing, KnobError, prepare_dataset
from ..errors import UserError
from ..stores.home import Home
from ..stores.paths import expand_path, folder_problem, writable_home_problem
from ..study.designs import search_spec
from ..study.validation import LoadedStudy


def check_home_writable(home: Home) -> None:
    """The home is a folder this user can write, or a place where one can be made."""
    problem = writable_home_problem(home.root)
    if problem:
        raise UserError(f"--home: {problem}")


def _configs(loaded: LoadedStudy) -> list[dict[str, Any]]:
    """The trial configurations (grid/ablation), or a search's base with each dataset its space may choose."""
    if loaded.specs:
        return [spec.config for spec in loaded.specs]
    configs = [search_spec(loaded.study, {}).config]
    searched = getattr(loaded.study.design, "space", {}).get("dataset")
    for dataset in (searched.choice or []) if searched is not None else []:
        try:
            configs.append(search_spec(loaded.study, {"dataset": dataset}).config)
        except KnobError:  # a dataset its base knobs do not fit: the search's own checks report it
            continue
    return configs


def check_data(loaded: LoadedStudy, file: str) -> None:
    """Every distinct dataset the trials read is present (the dataset's own check; no cache is built here)."""
    seen: set[str] = set()
    data_dir = loaded.study.data_dir
    from_env = os.environ.get("SPIKESWEEP_DATA")
    if not data_dir and from_env:
        path, problem = expand_path(from_env)
        if problem is None and path is not None:
            problem = folder_problem(path)
        if problem:
            raise UserError(f"SPIKESWEEP_DATA: {problem}")
    for config in _configs(loaded):
        dataset = str(config["dataset"])
        key = repr(sorted((k, str(v)) for k, v in config.items() if k == "dataset" or k.startswith(("data.", dataset))))
        if key in seen:
            continue
        seen.add(key)
        try:
            prepare_dataset(config, Path(data_dir) if data_dir else None, None)
        except DatasetMissing as error:
            raise UserError(f"{file}: data_dir: {error}") from None


def local_cpus() -> float:
    """CPUs of this machine (what a local Ray gets)."""
    return float(os.cpu_count() or 1)


def cluster_nodes(address: str | None) -> list[dict[str, float]]:
    """The resources of each alive node of the Ray cluster at `address` (connects; starts nothing)."""
    import ray

    from .ray_runtime import start_ray

    start_ray(address)
    return [dict(node.get("Resources", {})) for node in ray.nodes() if node.get("Alive")]


def cluster_node_cpus(address: str | None) -> float:
    """The most CPUs of one alive node of the Ray cluster at `address`."""
    return max((float(node.get("CPU", 0)) for node in cluster_nodes(address)), default=0.0)


def cluster_node_gpus(address: str | None) -> float:
    """The most GPUs of one alive node of the Ray cluster at `address` (0 on a CPU cluster)."""
    return max((float(node.get("GPU", 0)) for node in cluster_nodes(address)), default=0.0)


def check_resources(
    loaded: LoadedStudy,
    file: str,
    address: str | None,
    node_cpus: Callable[[], float],
    node_gpus: Callable[[], float] | None = None,
) -> None:
    """One trial's `resources` fit on one node (else Tune would wait forever with no trial started): its CPUs,
    and a number of GPUs where the cluster has GPUs (`node_gpus`; on a CPU cluster trials ask for none)."""
    cpu, gpu = loaded.study.resources.cpu, loaded.study.resources.gpu
    where = f"the Ray cluster at {address}" if address else "this machine"
    available = node_cpus()
    if cpu > available:
        raise UserError(
            f"{file}: resources.cpu: {cpu:g} CPUs per trial, but {where} has {available:g} per node "
            f"(allowed: at most {available:g})"
        )
    if node_gpus is not None and gpu != "auto" and float(gpu) > 0:
        gpus = node_gpus()
        if 0 < gpus < float(gpu):
            raise UserError(
                f"{file}: resources.gpu: {float(gpu):g} GPUs per trial, but {where} has {gpus:g} per node "
                f"(allowed: at most {gpus:g}, or auto)"
            )


def preflight(loaded: LoadedStudy, home: Home, file: str, address: str | None = None) -> None:
    """All checks before anything is written; the cluster is asked only when `address`/RAY_ADDRESS names one."""
    check_home_writable(home)
    target = address or os.environ.get("RAY_ADDRESS")
    if target:
        check_resources(loaded, file, target, lambda: cluster_node_cpus(target), lambda: cluster_node_gpus(target))
    else:
        check_resources(loaded, file, None, local_cpus)
    check_data(loaded, file)


__all__ = ["check_data", "check_home_writable", "check_resources", "local_cpus", "preflight"]
