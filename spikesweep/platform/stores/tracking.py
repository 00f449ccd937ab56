"""MLflow, driver side only: one experiment per study, a parent run, one child run per trial.

Everything goes through an `MlflowClient` bound to the home's tracking URI; the fluent API is avoided because
`mlflow.set_experiment` exports MLFLOW_EXPERIMENT_ID into the environment that Ray workers inherit.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...workers import WEIGHTS_FILE, relevant
from .uris import is_http, scrub

PARENT_TAG, STUDY_TAG, ARM_TAG, SEED_TAG = "mlflow.parentRunId", "spikesweep.study", "spikesweep.arm", "spikesweep.seed"
ERROR_TAG = "spikesweep.error"
MAX_TAG = 5000
NODE_TAG = "spikesweep.node"
# A tracking server that cannot be reached fails in seconds, not after MLflow's default minutes of retries.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}
NOTE_TAG = "mlflow.note.content"  # the description the UI shows on a run or an experiment
KIND_TAG, KIND = "mlflow.experimentKind", "custom_model_development"  # the UI's "Machine learning" kind
MAX_PARAM = 6000  # MLflow 3's limit on a param value
RUN_NAME_LENGTH = 40
# short labels of knobs that studies often vary: the UI's run-name column shows about 15 characters
SHORT_KNOB_NAMES = {
    "timesteps": "T",
    "neuron.threshold": "Vth",
    "neuron.decay": "decay",
    "fsta.dct_kernel": "k",
    "staa.tsrd_p": "p",
    "staa.gc_ratio": "r",
    "batch_size": "bs",
    "epochs": "ep",
    "weight_decay": "wd",
    "attention": "att",
    "backbone": "net",
}


def short_run_name(arm: str, changed: Mapping[str, Any], seed: int) -> str:
    """A short, readable run name: an arm generated from knobs (`timesteps=2, neuron.threshold=0.5`) as its changed
    knobs by short name (`T=2 Vth=0.5`; else the name without its namespace; an empty arm too: a search point),
    a named arm as its name; the seed last (`k3 s1`)."""
    knobs = {k: v for k, v in changed.items() if k != "seed"}
    if ("=" in arm or not arm) and knobs:
        label = " ".join(f"{SHORT_KNOB_NAMES.get(k, k.rsplit('.', 1)[-1])}={v}" for k, v in knobs.items())
    else:
        label = arm
    suffix = f" s{seed}"
    if len(label) + len(suffix) > RUN_NAME_LENGTH:
        label = label[: RUN_NAME_LENGTH - len(suffix) - 1].rstrip() + "…"
    return label + suffix


def study_params(resolved: Mapping[str, Any]) -> dict[str, str]:
    """The parent run's params: the design (kind and its settings), objectives, seeds and the base knobs."""
    import json

    design = dict(resolved.get("design") or {})
    params = {"design": str(design.pop("kind", "")), "seeds": ",".join(map(str, resolved.get("seeds") or []))}
    params.update({f"design.{key}": json.dumps(value, default=str) for key, value in design.items() if value})
    objectives = resolved.get("objectives") or {}
    params["objectives"] = ", ".join(f"{name} ({direction})" for name, direction in objectives.items())
    params.update({f"base.{knob}": str(value) for knob, value in (resolved.get("base") or {}).items()})
    return {key: value[:MAX_PARAM] for key, value in params.items()}


def _client(uri: str):
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # no table-creation chatter on the user's terminal
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def numeric_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """The metrics MLflow can store (numbers, not bools; nested mappings as `outer.inner`); the epoch is the step."""
    numbers: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            numbers.update(numeric_metrics(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and name != "epoch":
            numbers[name] = float(value)
    return numbers


class Tracker:
    """The MLflow verbs the driver needs."""

    def __init__(self, tracking_uri: str, artifact_root: Path) -> None:
        self.uri = tracking_uri
        self.artifact_root = artifact_root
        self.client = _client(tracking_uri)

    def start_study(self, name: str, description: str, resolved: dict[str, Any]) -> tuple[str, str]:
        """Create (or reuse) the study's experiment and open its parent run: (experiment id, parent run id)."""
        experiment = self.client.get_experiment_by_name(name)
        experiment_tags = {STUDY_TAG: name, KIND_TAG: KIND, **({NOTE_TAG: description} if description else {})}
        if experiment is None:
            # behind a tracking server the server's default (`mlflow-artifacts:` with --serve-artifacts) is used, so
            # every host reads the artifacts through it; a database or file store keeps them under the home
            location = None if is_http(self.uri) else (self.artifact_root / name).as_uri()
            experiment_id = self.client.create_experiment(name, artifact_location=location, tags=experiment_tags)
        else:
            experiment_id = experiment.experiment_id
            for key, value in experiment_tags.items():
                self.client.set_experiment_tag(experiment_id, key, value)
        tags = {STUDY_TAG: name, "spikesweep.design": resolved["design"]["kind"]}
        if description:
            tags[NOTE_TAG] = description
        parent = self.client.create_run(experiment_id, run_name=name, tags=tags)
        from mlflow.entities import Param

        params = [Param(key, value) for key, value in study_params(resolved).items()]
        self.client.log_batch(parent.info.run_id, params=params)
        self.client.log_dict(parent.info.run_id, resolved, "study/resolved.yaml")
        return experiment_id, parent.info.run_id

    def start_trial(
        self,
        experiment_id: str,
        parent_run_id: str,
        study: str,
        run_name: str,
        config: Mapping[str, Any],
        arm: str,
        seed: int,
        ray_trial_id: str,
    ) -> str:
        """Open a child run: params = the knobs the configuration reads; the full config as an artifact."""
        tags = {
            PARENT_TAG: parent_run_id,
            STUDY_TAG: study,
            ARM_TAG: arm,
            SEED_TAG: str(seed),
            "ray.trial_id": ray_trial_id,
        }
        run = self.client.create_run(experiment_id, run_name=run_name, tags=tags)
        from mlflow.entities import Param

        params = [Param(name, str(value)) for name, value in sorted(relevant(config).items())]
        self.client.log_batch(run.info.run_id, params=params)
        self.client.log_dict(run.info.run_id, dict(config), "config.yaml")
        return run.info.run_id

    def log_result(self, run_id: str, metrics: Mapping[str, Any]) -> None:
        """One epoch's metrics in one batch (step = epoch); a per-layer energy table if the trial sent one."""
        from mlflow.entities import Metric

        step = int(metrics.get("epoch", 0))
        now = int(time.time() * 1000)
        batch = [Metric(k, v, now, step) for k, v in numeric_metrics(metrics).items()]
        if batch:
            self.client.log_batch(run_id, metrics=batch)
        layers = metrics.get("energy_layers")
        if layers:
            self.client.log_dict(run_id, {"epoch": step, "layers": layers}, "energy_layers.json")

    def end_trial(self, run_id: str, status: str, error: str | None = None) -> None:
        """Close a child run as FINISHED, KILLED (stopped early) or FAILED (with the reason as a tag)."""
        if error:
            self.client.set_tag(run_id, ERROR_TAG, scrub(error)[:MAX_TAG])
        self.client.set_terminated(run_id, status)

    def finish_study(
        self,
        parent_run_id: str,
        status: str,
        metrics: Mapping[str, float],
        tables: Mapping[str, Any] | None = None,
        texts: Mapping[str, str] | None = None,
    ) -> None:
        """Log the study's summary metrics, tables (`name.json` -> DataFrame) and texts, then close the parent."""
        finite = {k: float(v) for k, v in metrics.items() if v is not None and math.isfinite(float(v))}
        if finite:
            from mlflow.entities import Metric

            now = int(time.time() * 1000)
            self.client.log_batch(parent_run_id, metrics=[Metric(k, v, now, 0) for k, v in finite.items()])
        for path, table in (tables or {}).items():
            self.client.log_table(parent_run_id, data=table, artifact_file=path)
        for path, text in (texts or {}).items():
            self.client.log_text(parent_run_id, text, path)
        self.client.set_terminated(parent_run_id, status)

    def log_weights(self, run_id: str, checkpoint: str) -> bool:
        """Keep a finished trial's trained weights (the `weights.pt` of its last checkpoint folder) as the artifact
        `weights/weights.pt` of its run; False when the folder is not readable from here."""
        path = Path(checkpoint) / WEIGHTS_FILE
        if not path.is_file():
            return False
        self.client.log_artifact(run_id, str(path), "weights")
        return True

    def download_weights(self, run_id: str, folder: Path) -> Path | None:
        """The run's kept weights, downloaded into `folder` (None when the run kept none)."""
        if not any(item.path == f"weights/{WEIGHTS_FILE}" for item in self.client.list_artifacts(run_id, "weights")):
            return None
        return Path(self.client.download_artifacts(run_id, f"weights/{WEIGHTS_FILE}", str(folder)))

    def reopen(self, run_id: str) -> None:
        """A run that ended KILLED by an interruption continues (`resume`): RUNNING again, its error tag gone."""
        run = self.client.get_run(run_id)
        if ERROR_TAG in run.data.tags:
            self.client.delete_tag(run_id, ERROR_TAG)
        self.client.update_run(run_id, status="RUNNING")

    def kill_running_children(self, experiment_id: str, parent_run_id: str) -> int:
        """Close child runs a dead driver left RUNNING (KILLED, reason `interrupted`); returns how many."""
        running = [run for run in self.child_runs(experiment_id, parent_run_id) if run.info.status == "RUNNING"]
        for run in running:
            self.end_trial(run.info.run_id, "KILLED", "interrupted")
        return len(running)

    def child_runs(self, experiment_id: str, parent_run_id: str) -> list[Any]:
        """Every child run of a parent (for reports and tests)."""
        return self.client.search_runs(
            [experiment_id], filter_string=f"tags.`{PARENT_TAG}` = '{parent_run_id}'", max_results=10_000
        )
