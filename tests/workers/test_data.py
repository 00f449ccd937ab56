"""The dataset registry: declared specs, the data directory, digits upscaling, synthetic data, trial wiring."""

import pytest
import torch

from spikesweep.workers import DATASETS, KnobError
from spikesweep.workers.data import load_dataset, prepare_dataset, resolve_data_dir
from spikesweep.workers.data.base import dataset_spec
from spikesweep.workers.data.digits import digit_images
from spikesweep.workers.knobs import resolve, unused

EXPECTED = {
    "digits": ("static", 10),
    "neuro_digits": ("event", 10),
    "cifar10": ("static", 10),
    "cifar100": ("static", 100),
    "nmnist": ("event", 10),
    "dvs_gesture": ("event", 11),
    "cifar10_dvs": ("event", 10),
    "synthetic": ("static", 10),
}


def test_every_dataset_declares_kind_classes_shape_and_a_description():
    assert set(EXPECTED) <= set(DATASETS.names())
    for name, (kind, classes) in EXPECTED.items():
        config = resolve({"dataset": name})
        spec = dataset_spec(config)
        assert spec.kind_of(config) == kind and spec.classes(config) == classes
        assert len(spec.shape(config)) == 3 and spec.description
        assert (spec.frame_params is not None) == (kind == "event")  # every event dataset goes through the cache


def test_declared_shapes_follow_the_knobs():
    shape = lambda values: dataset_spec(resolve(values)).shape(resolve(values))
    assert shape({"dataset": "digits", "digits.upscale": 4}) == (1, 32, 32)
    assert shape({"dataset": "neuro_digits", "neuro_digits.upscale": 3}) == (2, 30, 30)
    assert shape({"dataset": "cifar10_dvs"}) == (2, 64, 64)
    assert shape({"dataset": "cifar10_dvs", "cifar10_dvs.resolution": 48}) == (2, 48, 48)
    assert shape({"dataset": "dvs_gesture"}) == (2, 128, 128)
    assert shape({"dataset": "synthetic", "synthetic.channels": 2, "synthetic.size": 5}) == (2, 5, 5)


def test_dataset_knobs_are_checked_and_reported_unused_elsewhere():
    message = r"cifar10_dvs.resolution: 100 is not a valid choice \(allowed: 48 \| 64 \| 128\)"
    with pytest.raises(KnobError, match=message):
        resolve({"dataset": "cifar10_dvs", "cifar10_dvs.resolution": 100})
    values = {"dataset": "digits", "dvs_gesture.resolution": 64, "augment.flip": True}
    assert unused(values, resolve(values)) == ["augment.flip", "dvs_gesture.resolution"]


def test_data_dir_comes_from_the_argument_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKESWEEP_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "given") == tmp_path / "given"
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir("") == tmp_path / "env"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_data_dir("~/data") == tmp_path / "data"
    monkeypatch.delenv("SPIKESWEEP_DATA")
    assert resolve_data_dir(None) is None


def test_digits_upscaling_keeps_labels_and_normalisation():
    native = load_dataset({"dataset": "digits"})
    big = load_dataset({"dataset": "digits", "digits.upscale": 3})
    assert native.train_x.shape == (1438, 1, 8, 8) and big.train_x.shape == (1438, 1, 24, 24)
    assert big.input_shape == (1, 24, 24) and torch.equal(big.train_y, native.train_y)
    assert abs(big.train_x.mean().item()) < 1e-4 and big.train_x.std().item() == pytest.approx(1.0, abs=1e-3)
    # bilinear upscaling by 3 keeps every source pixel's value at the centre of its 3x3 block
    images, labels = digit_images(3)
    native_images, native_labels = digit_images(1)
    assert torch.allclose(images[:, :, 1::3, 1::3], native_images, atol=1e-6)
    assert (labels == native_labels).all() and images.min() >= 0 and images.max() <= 1


def test_synthetic_tensors_follow_the_knobs_and_the_seed():
    values = {
        "dataset": "synthetic",
        "synthetic.channels": 2,
        "synthetic.size": 4,
        "synthetic.classes": 3,
        "synthetic.train_samples": 50,
        "synthetic.val_samples": 7,
    }
    bundle = load_dataset(values)
    assert bundle.train_x.shape == (50, 2, 4, 4) and bundle.val_x.shape == (7, 2, 4, 4)
    assert bundle.num_classes == 3 and set(bundle.train_y.tolist()) <= {0, 1, 2}
    assert torch.equal(load_dataset(values).train_x, bundle.train_x)
    assert not torch.equal(load_dataset({**values, "synthetic.seed": 1}).train_x, bundle.train_x)
    events = load_dataset({**values, "synthetic.kind": "event", "timesteps": 3})
    assert events.kind == "event" and events.train_x.shape == (50, 3, 2, 4, 4)
    assert torch.equal(events.train_x, events.train_x.round()) and (events.train_x >= 0).all()


def test_static_datasets_need_no_cache():
    assert prepare_dataset({"dataset": "digits"}, None, "/nonexistent/cache") is None
