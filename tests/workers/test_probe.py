"""probe_trial (spikesweep/workers/probe.py) and the GPU memory cap of run_trial (TrialEnv.gpu_fraction, the
retry after running out of memory), on the CPU: the CUDA calls are replaced by recorders."""

import pytest
import torch

from spikesweep.workers import TrialEnv, probe_trial, run_trial
from spikesweep.workers import trial as trial_module


def test_probe_measures_two_timesteps_on_random_inputs():
    probe = probe_trial({"batch_size": 8, "neuron": "fsta"}, timesteps=(1, 2), steps=1)
    assert probe["timesteps"] == [1, 2] and probe["batch"] == 8
    assert all(seconds > 0 for seconds in probe["step_s"])
    assert probe["peak_bytes"] == [None, None] and probe["total_memory"] is None  # memory is measured on CUDA only


def test_probe_of_event_data_feeds_frames():
    probe = probe_trial({"dataset": "neuro_digits", "batch_size": 4}, timesteps=(2,), steps=1, warmup=0)
    assert len(probe["step_s"]) == 1


class FakeCuda:
    """Stands in for the CUDA calls run_trial makes under a memory cap."""

    def __init__(self, monkeypatch, fits: bool = True) -> None:
        self.caps: list[float] = []
        monkeypatch.setattr(trial_module, "pick_device", lambda config: torch.device("cuda"))
        monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction", lambda f, device=None: self.caps.append(f))
        monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
        monkeypatch.setattr(trial_module, "_fits", lambda fraction, device: fits and fraction <= 1.0)


def fake_train(failures: int, calls: list):
    def train(config, report, env, device, fraction):
        calls.append(fraction)
        if len(calls) <= failures:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        metrics = {"epoch": 1, "gpu_fraction": fraction}
        report(metrics)
        return metrics

    return train


def test_out_of_memory_is_retried_once_with_twice_the_fraction(monkeypatch):
    cuda, calls = FakeCuda(monkeypatch), []
    monkeypatch.setattr(trial_module, "_train", fake_train(1, calls))
    final = run_trial({}, lambda m: None, TrialEnv(gpu_fraction=0.25))
    assert cuda.caps == [0.25, 0.5] and calls == [0.25, 0.5] and final["gpu_fraction"] == 0.5


def test_out_of_memory_twice_or_without_room_fails(monkeypatch):
    FakeCuda(monkeypatch)
    monkeypatch.setattr(trial_module, "_train", fake_train(2, []))
    with pytest.raises(torch.cuda.OutOfMemoryError):
        run_trial({}, lambda m: None, TrialEnv(gpu_fraction=0.25))
    FakeCuda(monkeypatch, fits=False)
    monkeypatch.setattr(trial_module, "_train", fake_train(1, []))
    with pytest.raises(torch.cuda.OutOfMemoryError):
        run_trial({}, lambda m: None, TrialEnv(gpu_fraction=0.25))
    FakeCuda(monkeypatch)
    monkeypatch.setattr(trial_module, "_train", fake_train(1, []))
    with pytest.raises(torch.cuda.OutOfMemoryError):
        run_trial({}, lambda m: None, TrialEnv(gpu_fraction=0.25, retry_oom=False))


def test_no_cap_and_no_metric_on_the_cpu():
    final = run_trial({"epochs": 1, "timesteps": 1, "batch_size": 256}, lambda m: None, TrialEnv(gpu_fraction=0.25))
    assert "gpu_fraction" not in final
