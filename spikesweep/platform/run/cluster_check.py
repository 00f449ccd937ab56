"""The cluster check, before anything is written: one tiny task per alive node reports its versions; nodes that
cannot run the trials are refused (one line each); where only spikesweep is missing or differs, it is shipped with
Ray's runtime environment (`py_modules`)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import spikesweep

from ..errors import Failure
from . import node_facts as facts_module

log = logging.getLogger(__name__)
CHECK_TIMEOUT_S = float(os.environ.get("SPIKESWEEP_CLUSTER_CHECK_TIMEOUT_S", "120"))


@dataclass(frozen=True)
class Verdict:
    """The check's result: one line per refused node, and whether spikesweep must be shipped."""

    refused: list[str]
    ship: bool


def local_facts() -> dict[str, Any]:
    """The driver's own facts (what every node is compared with)."""
    return facts_module.node_facts()


def node_problems(driver: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """Why a node cannot run the driver's trials (empty: it can): Python minor and Ray must match, torch must be
    importable; a check task that failed is its own reason."""
    if facts.get("error"):
        return [str(facts["error"])]
    problems = []
    if facts.get("python") != driver["python"]:
        problems.append(f"Python {facts.get('python')} (the driver has {driver['python']})")
    if facts.get("ray") != driver["ray"]:
        problems.append(f"Ray {facts.get('ray') or 'missing'} (the driver has {driver['ray']})")
    if facts.get("torch") is None:
        problems.append("torch is not installed")
    return problems


def judge(driver: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]) -> Verdict:
    """One refusal line per node that cannot run the trials; a missing or different spikesweep is shipped."""
    refused, ship = [], False
    for name, facts in nodes.items():
        problems = node_problems(driver, facts)
        if problems:
            refused.append(f"node {name}: cannot run trials: {'; '.join(problems)}")
        elif facts.get("spikesweep") != driver["spikesweep"]:
            ship = True
    return Verdict(refused, ship)


def probe_nodes() -> dict[str, dict[str, Any]]:
    """Run `node_facts` once on every alive node (pinned there, no CPU reserved); facts by `id[:8] (ip)`."""
    import ray
    from ray import cloudpickle  # Ray pickles functions with its own copy of cloudpickle
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    alive = [node for node in ray.nodes() if node.get("Alive")]
    cloudpickle.register_pickle_by_value(facts_module)  # the node may not have spikesweep at all
    try:
        task = ray.remote(num_cpus=0, max_retries=0)(facts_module.node_facts)
        refs = {
            f"{node['NodeID'][:8]} ({node.get('NodeManagerAddress', '?')})": task.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
            ).remote()
            for node in alive
        }
    finally:
        cloudpickle.unregister_pickle_by_value(facts_module)
    found: dict[str, dict[str, Any]] = {}
    for name, ref in refs.items():
        try:
            found[name] = ray.get(ref, timeout=CHECK_TIMEOUT_S)
        except Exception as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            found[name] = {"error": f"the check task failed ({type(error).__name__}: {first[:200]})"}
    return found


def package_dir() -> Path:
    return Path(spikesweep.__file__).resolve().parent


def check_cluster(address: str) -> None:
    """Refuse a cluster that cannot run the trials (Failure, one line per node); reconnect with spikesweep in the
    job's runtime environment where a node lacks it or runs other code."""
    import ray

    verdict = judge(local_facts(), probe_nodes())
    if verdict.refused:
        raise Failure("\n".join(verdict.refused))
    if verdict.ship:
        log.info("shipping spikesweep to the cluster with runtime_env py_modules")
        print("cluster check: spikesweep is missing or differs on some node: shipping it (py_modules)", file=sys.stderr)
        ray.shutdown()
        ray.init(
            address=address,
            log_to_driver=False,
            logging_level=logging.WARNING,
            runtime_env={"py_modules": [str(package_dir())], "excludes": ["__pycache__", "*.pyc"]},
        )
