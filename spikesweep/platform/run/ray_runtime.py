"""Starting Ray: a local instance by default, a cluster when RAY_ADDRESS or --address names one."""

from __future__ import annotations

import logging
import os
import re
import secrets
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


STORE_VARS = ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI")
# names of variables that carry credentials (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, PGPASSWORD, ...): Ray's own
# settings (RAY_*) excepted, since the local Ray reads its auth-token path from them
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|(^|_)(API_)?KEY$|ACCESS_KEY", re.IGNORECASE)


def private_vars(environ: Mapping[str, str]) -> list[str]:
    """The variables the private local Ray must not inherit: the store URIs and anything named like a secret
    (Ray's runtime-env agent was seen writing such values into world-readable logs)."""
    return [
        name
        for name in environ
        if name in STORE_VARS or (SECRET_NAME.search(name) and not name.upper().startswith("RAY_"))
    ]


AUTH_VARS = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
_saved_auth: dict[str, str | None] = {}


def ensure_token(path: Path) -> Path:
    """The private local Ray's token file: generated once (mode 600), kept in the home."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    os.chmod(path, 0o600)
    return path


def _token_auth_on(token_path: Path) -> None:
    """Ray 2.60 token authentication for a Ray this process starts: RAY_AUTH_MODE=token with the token read from
    RAY_AUTH_TOKEN_PATH (Ray's C++ loader tries RAY_AUTH_TOKEN, then RAY_AUTH_TOKEN_PATH, then ~/.ray/auth_token).
    Ray's processes inherit the environment; `stop_ray` puts the previous values back."""
    from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

    _saved_auth.update({name: os.environ.get(name) for name in AUTH_VARS})
    os.environ.pop("RAY_AUTH_TOKEN", None)
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN_PATH"] = str(ensure_token(token_path))
    Config.initialize("")  # Ray caches its config (and the auth mode in it) per process
    AuthenticationTokenLoader.instance().reset_cache()


def stop_ray() -> None:
    """Shut down the Ray this process started and restore the authentication settings it changed."""
    import ray

    ray.shutdown()
    if _saved_auth:
        from ray._raylet import AuthenticationTokenLoader, Config  # type: ignore[attr-defined]

        for name, value in _saved_auth.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _saved_auth.clear()
        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()


def start_ray(address: str | None = None, token_path: Path | None = None) -> bool:
    """Connect to `address`/RAY_ADDRESS, or start a private local Ray sized to this machine; True if we started it.

    The local Ray runs with token authentication (its token at `token_path`, else Ray's ~/.ray/auth_token) and
    without the dashboard. Ray 2.60 has no setting to bind its gRPC servers to the loopback interface (it turns
    127.0.0.1 into the machine's address), so the token is what keeps other hosts from running code on it.
    """
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
        from .cluster_check import check_cluster

        ray.init(address=target, log_to_driver=False, logging_level=logging.WARNING)
        try:
            check_cluster(target)
        except BaseException:
            ray.shutdown()  # a refused cluster: disconnect before the error goes up
            raise
        return False
    if token_path is not None:
        _token_auth_on(token_path)
    # Ray's processes inherit this environment (and some of them log it): the store URIs, which may carry
    # passwords, stay with the driver, their only user, and so does every variable named like a credential
    hidden = {name: os.environ.pop(name) for name in private_vars(os.environ)}
    try:
        ray.init(
            num_cpus=os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            object_store_memory=OBJECT_STORE_BYTES,
            logging_level=logging.WARNING,
        )
    finally:
        os.environ.update(hidden)
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
