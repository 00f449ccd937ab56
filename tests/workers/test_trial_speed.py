"""The speed knobs of run_trial (spikesweep/workers/trial.py): compile, last_batch, lif_impl, channels_last, the
shared Inductor cache and the fused optimiser; each changes how fast a trial trains, not what it learns."""

import os
import socket

import pytest
import torch

from spikesweep.workers import run_trial, trial
from spikesweep.workers.knobs import resolve
from spikesweep.workers.trial import compile_mode, drops_last_batch, make_optimizer, share_compile_cache

FAST = {"epochs": 1, "timesteps": 1, "optimizer": "adam", "lr": 0.01, "batch_size": 128}
CPU, CUDA = torch.device("cpu"), torch.device("cuda")  # a device object needs no GPU


def test_compile_auto_is_default_on_cuda_and_eager_on_cpu():
    auto = resolve({})
    assert compile_mode(auto, CPU) is None and compile_mode(auto, CUDA) == "default"
    assert compile_mode(resolve({"compile": "max-autotune"}), CPU) == "max-autotune"
    assert compile_mode(resolve({"compile": "none"}), CUDA) is None


def test_last_batch_auto_drops_only_when_compiled():
    assert not drops_last_batch(resolve({}), CPU) and drops_last_batch(resolve({}), CUDA)
    assert drops_last_batch(resolve({"last_batch": "drop"}), CPU)
    assert not drops_last_batch(resolve({"last_batch": "keep"}), CUDA)


def test_dropping_the_last_batch_changes_the_loss_but_eager_reports_no_compile_time():
    keep = run_trial(FAST, lambda m: None)
    drop = run_trial({**FAST, "last_batch": "drop"}, lambda m: None)
    assert keep["compile_s"] == 0.0 == drop["compile_s"]
    assert keep["loss"] != drop["loss"]  # digits has 1437 training images: 29 of them are left out


def test_fused_lif_trains_the_same_as_eager():
    eager = run_trial({**FAST, "neuron": "fsta", "timesteps": 2}, lambda m: None)
    fused = run_trial({**FAST, "neuron": "fsta", "timesteps": 2, "lif_impl": "fused"}, lambda m: None)
    assert fused["accuracy"] == pytest.approx(eager["accuracy"], abs=0.02)
    assert fused["loss"] == pytest.approx(eager["loss"], rel=1e-3)
    assert fused["energy_mj"] == pytest.approx(eager["energy_mj"], rel=1e-3)


def test_channels_last_trains_the_same():
    eager = run_trial(FAST, lambda m: None)
    nhwc = run_trial({**FAST, "channels_last": True}, lambda m: None)
    assert nhwc["accuracy"] == pytest.approx(eager["accuracy"], abs=0.02)
    assert nhwc["loss"] == pytest.approx(eager["loss"], rel=1e-2)  # other conv kernels: rounding, then thresholds


def test_optimizer_is_fused_on_cuda_only():
    model = torch.nn.Linear(2, 2)
    for name in ("sgd", "adam", "adamw"):
        optimizer = make_optimizer(model, resolve({"optimizer": name}))
        assert not optimizer.param_groups[0].get("fused")


def test_compile_cache_is_shared_per_node(tmp_path, monkeypatch):
    monkeypatch.setattr(trial, "USER_INDUCTOR_CACHE", None)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/tmp/inductor-default")  # as Inductor leaves it after first use
    share_compile_cache(tmp_path)
    expected = tmp_path / "inductor" / socket.gethostname()
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(expected) and expected.is_dir()
    monkeypatch.setattr(trial, "USER_INDUCTOR_CACHE", "/elsewhere")
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", "/elsewhere")
    share_compile_cache(tmp_path / "other")
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == "/elsewhere"  # the user's setting wins


@pytest.mark.slow
def test_compiled_training_matches_eager(tmp_path, monkeypatch):
    """One epoch of small_cnn on digits, compiled on the CPU (~30 s with a cold Inductor cache)."""
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    torch._dynamo.reset()
    eager = run_trial({**FAST, "last_batch": "drop"}, lambda m: None)
    compiled = run_trial({**FAST, "compile": "default"}, lambda m: None)
    assert compiled["compile_s"] > 0.0 and eager["compile_s"] == 0.0
    assert compiled["accuracy"] == pytest.approx(eager["accuracy"], abs=0.03)
    assert compiled["loss"] == pytest.approx(eager["loss"], rel=0.05)
    assert compiled["energy_mj"] == pytest.approx(eager["energy_mj"], rel=0.05)
