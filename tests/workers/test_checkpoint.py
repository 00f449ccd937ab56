"""Trial checkpoints: a trial interrupted and continued from its checkpoint ends exactly like an uninterrupted one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from spikesweep.workers import KnobError, TrialEnv, evaluate_trial, run_trial
from spikesweep.workers.checkpoint import STATE_FILE, WEIGHTS_FILE, is_checkpoint_epoch, load_weights
from spikesweep.workers.knobs import resolve
from spikesweep.workers.model import build_model

# SGD with momentum (optimiser state), cosine schedule, crop + flip + cutmix (the generator decides them)
CONFIG = {
    "epochs": 4,
    "timesteps": 2,
    "optimizer": "sgd",
    "lr": 0.05,
    "batch_size": 128,
    "augment": "custom",
    "augment.crop_padding": 1,
    "augment.flip": True,
    "augment.cutmix": 0.5,
    "energy.samples": 32,
    "seed": 5,
}


class Interrupted(Exception):
    """Stands for the worker dying after a report."""


def checkpointing(saved: dict[int, Path], root: Path, reports: list[dict[str, Any]], stop_after: int | None):
    """A `report_checkpoint` that copies each checkpoint away (as Ray's storage does) and may stop the trial."""

    def report_checkpoint(metrics: dict[str, Any], folder: Path) -> None:
        reports.append(metrics)
        saved[metrics["epoch"]] = Path(shutil.copytree(folder, root / f"epoch{metrics['epoch']}"))
        if stop_after is not None and metrics["epoch"] >= stop_after:
            raise Interrupted

    return report_checkpoint


def test_continued_trial_ends_with_exactly_the_uninterrupted_metrics(tmp_path):
    uninterrupted: list[dict[str, Any]] = []
    final = run_trial(CONFIG, uninterrupted.append)

    saved: dict[int, Path] = {}
    first: list[dict[str, Any]] = []
    env = TrialEnv(report_checkpoint=checkpointing(saved, tmp_path, first, stop_after=2))
    with pytest.raises(Interrupted):
        run_trial(CONFIG, first.append, env)
    assert sorted(saved) == [1, 2]

    second: list[dict[str, Any]] = []
    env = TrialEnv(report_checkpoint=checkpointing(saved, tmp_path / "again", second, None), resume_from=saved[2])
    continued = run_trial(CONFIG, second.append, env)
    assert [m["epoch"] for m in second] == [3, 4]  # epochs 1-2 are not trained again
    assert continued == final
    assert first + second == uninterrupted


def test_a_finished_checkpoint_re_reports_its_metrics_without_training(tmp_path):
    saved: dict[int, Path] = {}
    config = {**CONFIG, "epochs": 2, "checkpoint.every_epochs": 5}
    reports: list[dict[str, Any]] = []
    final = run_trial(config, reports.append, TrialEnv(report_checkpoint=checkpointing(saved, tmp_path, reports, None)))
    assert sorted(saved) == [2]  # not every 5: the last epoch always saves
    again: list[dict[str, Any]] = []
    assert run_trial(config, again.append, TrialEnv(resume_from=saved[2])) == final
    assert again == [final]
    assert (saved[2] / STATE_FILE).is_file()

    evaluated = evaluate_trial(config, saved[2] / WEIGHTS_FILE)  # kept weights give the trained network back
    assert {k: evaluated[k] for k in ("accuracy", "val_loss", "energy_mj")} == {
        k: final[k] for k in ("accuracy", "val_loss", "energy_mj")
    }
    network = build_model(resolve(config), (1, 8, 8), 10)
    load_weights(saved[2], network, torch.device("cpu"))
    trained = torch.load(saved[2] / WEIGHTS_FILE, weights_only=True)
    assert all(torch.equal(network.state_dict()[k], v) for k, v in trained.items())


def test_checkpoint_epochs_and_the_knob_domain():
    config = resolve({"epochs": 7, "checkpoint.every_epochs": 3})
    assert [e for e in range(1, 8) if is_checkpoint_epoch(config, e)] == [3, 6, 7]
    with pytest.raises(KnobError):
        resolve({"checkpoint.every_epochs": 0})
