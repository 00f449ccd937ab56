"""`resources.gpu: auto` (spikesweep/platform/run/packing.py and the driver's use of it): the packing math on
hand-made probe fits with answers worked out in the comments, and the study file's `gpu` field."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from spikesweep.platform.run import driver
from spikesweep.platform.run.packing import (
    GpuPlan,
    LinearFit,
    PackedResources,
    ProbeFit,
    pack,
    probe_key,
    unit_fraction,
)
from spikesweep.platform.study.file_model import Problems, Resources, check_structure
from spikesweep.platform.study.validation import load_study

GIB, MIB = 2**30, 2**20
# a digits-scale model on an 80 GiB GPU: peak = 1 GiB + 10 MiB per sample-step, step = 10 ms + 10 us per sample-step
H100_FIT = ProbeFit(LinearFit(1 * GIB, 10 * MIB), LinearFit(0.01, 1e-5), 80 * GIB)


def test_line_through_two_points_and_clipping():
    assert LinearFit.through([4, 8], [10, 18]) == LinearFit(2.0, 2.0)
    assert LinearFit.through([4, 8], [10, 8]) == LinearFit(9.0, 0.0)  # a falling line: slope clipped at 0
    assert LinearFit.through([4, 4], [10, 12]) == LinearFit(11.0, 0.0)
    assert LinearFit.through([1, 2, 3], [3, 5, 7]).at(10) == pytest.approx(21.0)


@pytest.mark.parametrize(
    "share,expected",
    [(0.3, 1 / 3), (0.25, 0.25), (1 / 3, 1 / 3), (0.5, 0.5), (0.51, 1.0), (0.01, 1 / 8), (0.0, 1 / 8), (1.7, 1.0)],
)
def test_shares_round_up_to_a_unit_fraction(share, expected):
    assert unit_fraction(share) == pytest.approx(expected)


def test_small_timesteps_pack_densely_large_ones_take_the_gpu():
    # T=1, B=64: memory (0.5 + 1 + 0.625 GiB) * 1.15 / 80 = 0.0305; compute 0.64 ms / 10.64 ms = 0.060 -> 1/8
    small = pack(H100_FIT, 1, 64)
    assert small.memory_share == pytest.approx(2.125 * 1.15 / 80)
    assert small.compute_share == pytest.approx(0.00064 / 0.01064)
    assert small.fraction == pytest.approx(1 / 8)
    # T=4: memory 4 GiB * 1.15 / 80 = 0.0575; compute 2.56 / 12.56 = 0.204 -> 1/4
    assert pack(H100_FIT, 4, 64).fraction == pytest.approx(1 / 4)
    # T=16: compute 10.24 / 20.24 = 0.506 -> a whole GPU
    assert pack(H100_FIT, 16, 64).fraction == 1.0


def test_memory_decides_on_a_small_gpu():
    # 16 GiB, peak 2 GiB + 40 MiB per sample-step; T=4, B=64: (0.5 + 2 + 10) * 1.15 / 16 = 0.898 -> 1, fits;
    # T=1: (0.5 + 2 + 2.5) * 1.15 / 16 = 0.359 (compute 0.06) -> 1/2; T=8: 23 GiB > 16 GiB: does not fit
    fit = ProbeFit(LinearFit(2 * GIB, 40 * MIB), LinearFit(0.01, 1e-5), 16 * GIB)
    assert pack(fit, 1, 64).memory_share == pytest.approx(5 * 1.15 / 16)
    assert pack(fit, 1, 64).fraction == 0.5
    assert pack(fit, 4, 64).fraction == 1.0 and pack(fit, 4, 64).fits
    assert pack(fit, 8, 64).fraction == 1.0 and not pack(fit, 8, 64).fits


def test_fit_from_a_probe_result():
    probe = {
        "timesteps": [1, 2],
        "batch": 64,
        "peak_bytes": [1 * GIB + 640 * MIB, 1 * GIB + 1280 * MIB],
        "step_s": [0.01064, 0.01128],
        "total_memory": 80 * GIB,
        "device": "NVIDIA H100",
    }
    fit = ProbeFit.from_probe(probe)
    assert fit.memory.intercept == pytest.approx(1 * GIB) and fit.memory.slope == pytest.approx(10 * MIB)
    assert fit.step_s.intercept == pytest.approx(0.01) and fit.step_s.slope == pytest.approx(1e-5)
    assert fit.gpu_memory == 80 * GIB


def test_probe_key_ignores_what_does_not_change_a_step():
    config = {"backbone": "small_cnn", "batch_size": 64, "timesteps": 4, "seed": 0, "lr": 0.1, "energy.samples": 8}
    assert probe_key(config) == probe_key({**config, "timesteps": 2, "seed": 7, "lr": 0.01, "energy.samples": 4})
    assert probe_key(config) != probe_key({**config, "batch_size": 128})
    assert probe_key(config) != probe_key({**config, "backbone": "resnet19"})


def test_plan_and_packed_resources():
    config = {"backbone": "small_cnn", "batch_size": 64, "timesteps": 1, "device": "auto"}
    plan = GpuPlan({probe_key(config): H100_FIT}, fallback=1.0)
    assert plan.fraction(config) == pytest.approx(1 / 8)
    assert plan.fraction({**config, "backbone": "resnet19"}) == 1.0  # not probed: the fallback
    configs = [config, {**config, "timesteps": 16}, {**config, "device": "cpu"}]
    packed = PackedResources(2.0, plan, lambda tune_config: configs[tune_config["index"]])
    assert packed({"index": 0}) == {"cpu": 2.0, "gpu": 1 / 8}
    assert packed({"index": 1}) == {"cpu": 2.0, "gpu": 1.0}
    assert packed.fraction({"index": 2}) == 0.0
    assert pickle.loads(pickle.dumps(plan)) == plan  # goes to the trial actors through Ray's object store


def test_study_file_gpu_is_auto_by_default_and_checked():
    assert Resources().gpu == "auto" and Resources(gpu=0.25).gpu == 0.25 and Resources(gpu="auto").gpu == "auto"
    for bad in (-1, "lots", True):
        problems = Problems("s.yaml")
        check_structure(
            {"study": "s", "design": {"kind": "grid", "factors": {"lr": [0.1]}}, "resources": {"gpu": bad}}, problems
        )
        assert problems.errors == [
            f"s.yaml: resources.gpu: {bad!r} is not a GPU share (allowed: auto | a finite number >= 0)"
        ]


GRID = """\
study: packed
design: {kind: grid, factors: {timesteps: [1, 4, 16]}}
base: {epochs: 1, batch_size: 64}
resources: {cpu: 1%s}
"""


def loaded_grid(tmp_path, gpu: str = ""):
    path = tmp_path / "study.yaml"
    path.write_text(textwrap.dedent(GRID % gpu))
    loaded = load_study(str(path))
    return loaded, [spec.config for spec in loaded.specs]


def test_driver_uses_a_number_as_given_and_no_gpu_on_cpu_clusters(tmp_path, monkeypatch):
    monkeypatch.setattr(driver, "trial_resources", lambda cpu, gpu: {"cpu": cpu, "gpu": gpu})
    monkeypatch.setattr(driver, "cluster_gpus", lambda: 0.0)
    monkeypatch.setattr(driver, "probe_on_gpus", lambda configs: pytest.fail("no probe without GPUs"))
    assert driver._resources(*loaded_grid(tmp_path, ", gpu: 0.25")) == ({"cpu": 1.0, "gpu": 0.25}, None)
    assert driver._resources(*loaded_grid(tmp_path)) == ({"cpu": 1.0, "gpu": 0.0}, None)  # auto, no GPU


def test_driver_probes_once_per_model_and_packs_by_timesteps(tmp_path, monkeypatch):
    probed = []

    def fake_probe(configs):
        probed.extend(configs)
        return {
            probe_key(configs[0]): {
                "timesteps": [1, 2],
                "batch": 64,
                "peak_bytes": [1.625 * GIB, 2.25 * GIB],
                "step_s": [0.01064, 0.01128],
                "total_memory": 80 * GIB,
            }
        }

    monkeypatch.setattr(driver, "cluster_gpus", lambda: 1.0)
    monkeypatch.setattr(driver, "probe_on_gpus", fake_probe)
    loaded, specs = loaded_grid(tmp_path)
    resources, packed = driver._resources(loaded, specs)
    assert resources is packed and len({probe_key(config) for config in probed}) == 1
    assert [resources({"index": i})["gpu"] for i in range(3)] == pytest.approx([1 / 8, 1 / 4, 1.0])
    from ray import cloudpickle  # Tune ships the resources callable and the trainable's gpu_share this way

    assert cloudpickle.loads(cloudpickle.dumps(packed)).fraction({"index": 1}) == pytest.approx(1 / 4)
