"""neuro_digits: the saccade event-camera simulation over the real digits."""

import numpy as np
import pytest

from spikesweep.workers.data import load_dataset
from spikesweep.workers.data.digits import digit_images
from spikesweep.workers.data.neuro_digits import saccade_events, saccade_offsets, sensor_side

UPSCALE = 2


@pytest.fixture(scope="module")
def sample():
    """Three digits of every class, upscaled x2."""
    images, labels = digit_images(UPSCALE)
    picked = np.concatenate([np.flatnonzero(labels == digit)[:3] for digit in range(10)])
    return images[picked, 0].numpy().astype(np.float64), labels[picked]


def test_events_are_tonic_arrays_inside_the_sensor_and_time_sorted(sample):
    images, _ = sample
    events = saccade_events(images, UPSCALE, 0.2, seed=0)
    side = sensor_side(UPSCALE)
    assert side == 8 * UPSCALE + 2 * 2
    assert len(events) == len(images)
    for record in events:
        assert record.dtype.names == ("x", "y", "t", "p")
        assert len(record) > 50
        assert record["x"].min() >= 0 and record["x"].max() < side and record["y"].max() < side
        assert np.all(np.diff(record["t"]) >= 0) and record["t"][0] >= 0 and record["t"][-1] < 300_000
        assert set(np.unique(record["p"])) == {0, 1}


def test_both_polarities_for_every_class(sample):
    images, labels = sample
    events = saccade_events(images, UPSCALE, 0.2, seed=0)
    for digit in range(10):
        polarity = np.concatenate([events[i]["p"] for i in np.flatnonzero(labels == digit)])
        on, off = np.sum(polarity == 1), np.sum(polarity == 0)
        assert on > 100 and off > 100
        assert 0.5 < on / off < 2  # a closed saccade loop returns every pixel to where it started


def test_deterministic_per_seed(sample):
    images, _ = sample
    first = saccade_events(images, UPSCALE, 0.2, seed=5)
    again = saccade_events(images, UPSCALE, 0.2, seed=5)
    other = saccade_events(images, UPSCALE, 0.2, seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(len(a) == len(b) and np.array_equal(a, b) for a, b in zip(first, other))


def test_a_static_image_emits_nothing_and_a_higher_threshold_fewer_events(sample):
    images, _ = sample
    assert all(len(r) == 0 for r in saccade_events(np.zeros((2, 16, 16)), UPSCALE, 0.2, seed=0))
    low = sum(len(r) for r in saccade_events(images, UPSCALE, 0.2, seed=0))
    high = sum(len(r) for r in saccade_events(images, UPSCALE, 0.4, seed=0))
    assert high < 0.7 * low


def test_saccades_form_a_closed_triangle():
    offsets = saccade_offsets(4)
    assert np.allclose(offsets[0], offsets[-1]) and np.allclose(offsets[0], (-2, -2))
    assert np.abs(offsets).max() == 2


def test_registry_load_gives_frames_of_the_declared_shape():
    bundle = load_dataset({"dataset": "neuro_digits", "neuro_digits.upscale": 1, "timesteps": 2})
    assert bundle.kind == "event" and bundle.num_classes == 10 and bundle.input_shape == (2, 12, 12)
    assert bundle.train_x.shape == (1438, 2, 2, 12, 12) and bundle.val_x.shape == (359, 2, 2, 12, 12)
    assert (bundle.train_x >= 0).all() and bundle.train_x.sum() > 0
    assert bundle.train_x[:, :, 0].sum() > 0 and bundle.train_x[:, :, 1].sum() > 0
