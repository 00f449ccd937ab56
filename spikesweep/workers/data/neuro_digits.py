"""`neuro_digits`: an event-camera version of the digits, made by simulating sensor saccades over each image.

This is a SYNTHETIC conversion of real images (scikit-learn's 8x8 digits, upscaled), in the spirit of N-MNIST
(Orchard et al. 2015): the image is moved along three saccades (a triangle, 100 ms each) in front of a simulated
DVS whose pixels emit an ON (p=1) or OFF (p=0) event each time their log intensity moves one contrast threshold
away from the level of their last event. Pixel thresholds vary around `neuro_digits.threshold` (fixed-pattern
mismatch) and event times are jittered within a simulation step, both drawn from `neuro_digits.seed`, so the
events are deterministic per seed. Events are tonic structured arrays (x, y, t [µs], p), turned into frames
`[T, 2, S, S]` with tonic's `ToFrame(n_time_bins=T)`. Split: the same stratified 80/20 split as `digits`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..knobs import Knob, declare
from ..registries import DATASETS
from .base import DataBundle, DatasetSpec
from .digits import SIDE, SPLIT_SEED, VAL_FRACTION, digit_images, stratified_split
from .events import frame_transform, frames_of, split_frames

EVENT_DTYPE = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])  # tonic's NMNIST dtype
SACCADE_US = 100_000
STEPS_PER_SACCADE = 20
LOG_EPS = 0.1  # log(I + eps): the dark background still has a finite log intensity, as on a real sensor
MISMATCH_SIGMA = 0.1  # log-normal spread of the per-pixel contrast thresholds
CHUNK = 256
SIMULATOR_VERSION = 1
_WHEN = {"dataset": ("neuro_digits",)}

declare(
    Knob(
        "neuro_digits.upscale",
        int,
        3,
        "resize the 8x8 digits by this factor before the saccades",
        low=1,
        high=8,
        when=_WHEN,
        owner="data",
    ),
    Knob(
        "neuro_digits.threshold",
        float,
        0.2,
        "contrast threshold of the simulated pixels (log intensity)",
        low=0.01,
        high=2.0,
        when=_WHEN,
        owner="data",
    ),
    Knob(
        "neuro_digits.seed",
        int,
        0,
        "seed of the sensor's threshold mismatch and event-time jitter",
        low=0,
        high=2**31 - 1,
        when=_WHEN,
        owner="data",
    ),
)


def sensor_side(upscale: int) -> int:
    """Sensor width = image width + a margin covering the saccade amplitude (`upscale` pixels) on both sides."""
    return SIDE * upscale + 2 * margin(upscale)


def margin(upscale: int) -> int:
    return math.ceil(upscale / 2) + 1


def saccade_offsets(upscale: int) -> np.ndarray:
    """(dx, dy) of the image at each simulation step: three straight saccades around a triangle."""
    half = upscale / 2
    corners = np.array([(-half, -half), (0.0, half), (half, -half), (-half, -half)])
    fractions = np.arange(1, STEPS_PER_SACCADE + 1) / STEPS_PER_SACCADE
    path = [corners[:1]] + [a + (b - a) * fractions[:, None] for a, b in zip(corners[:-1], corners[1:])]
    return np.concatenate(path)


def shifted(canvas: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """`canvas [N, H, W]` moved by a sub-pixel offset (bilinear); the zero margin keeps the wrap-around empty."""
    for axis, offset in ((2, dx), (1, dy)):
        whole = math.floor(offset)
        frac = offset - whole
        canvas = (1 - frac) * np.roll(canvas, whole, axis=axis) + frac * np.roll(canvas, whole + 1, axis=axis)
    return canvas


def saccade_events(images: np.ndarray, upscale: int, threshold: float, seed: int) -> list[np.ndarray]:
    """Events of each image `[N, h, w]` (intensity in [0, 1]) seen through three saccades, sorted by time."""
    rng = np.random.default_rng(seed)
    side, edge = sensor_side(upscale), margin(upscale)
    thresholds = threshold * np.exp(MISMATCH_SIGMA * rng.standard_normal((side, side)))
    offsets = saccade_offsets(upscale)
    step_us = SACCADE_US * 3 / (len(offsets) - 1)
    events: list[np.ndarray] = []
    for start in range(0, len(images), CHUNK):
        chunk = images[start : start + CHUNK]
        canvas = np.zeros((len(chunk), side, side), np.float64)
        canvas[:, edge : edge + chunk.shape[1], edge : edge + chunk.shape[2]] = chunk
        reference = np.log(shifted(canvas, *offsets[0]) + LOG_EPS)
        parts: list[tuple[np.ndarray, ...]] = []
        for step, (dx, dy) in enumerate(offsets[1:]):
            change = np.log(shifted(canvas, dx, dy) + LOG_EPS) - reference
            crossings = np.floor(np.abs(change) / thresholds).astype(np.int64)
            reference += np.sign(change) * crossings * thresholds
            sample, y, x = np.nonzero(crossings)
            repeats = crossings[sample, y, x]
            polarity = (change[sample, y, x] > 0).astype(np.int64)
            sample, y, x, polarity = (np.repeat(a, repeats) for a in (sample, y, x, polarity))
            times = ((step + rng.random(len(sample))) * step_us).astype(np.int64)
            parts.append((sample, x, y, times, polarity))
        sample, x, y, t, p = (np.concatenate(column) for column in zip(*parts))
        order = np.lexsort((t, sample))
        bounds = np.searchsorted(sample[order], np.arange(len(chunk) + 1))
        for i in range(len(chunk)):
            idx = order[bounds[i] : bounds[i + 1]]
            record = np.empty(len(idx), EVENT_DTYPE)
            record["x"], record["y"], record["t"], record["p"] = x[idx], y[idx], t[idx], p[idx]
            events.append(record)
    return events


def digit_events(config: Mapping[str, Any]) -> tuple[list[np.ndarray], np.ndarray]:
    """The events of all 1797 digits under a resolved configuration, and their labels."""
    images, labels = digit_images(config["neuro_digits.upscale"])
    events = saccade_events(
        images[:, 0].numpy().astype(np.float64),
        config["neuro_digits.upscale"],
        config["neuro_digits.threshold"],
        config["neuro_digits.seed"],
    )
    return events, labels


def load_neuro_digits(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    events, labels = digit_events(config)
    side = sensor_side(config["neuro_digits.upscale"])
    transform = frame_transform((side, side, 2), config)
    train_idx, val_idx = stratified_split(labels, VAL_FRACTION, SPLIT_SEED)
    train = frames_of(((transform(events[i]), labels[i]) for i in train_idx), len(train_idx))
    val = frames_of(((transform(events[i]), labels[i]) for i in val_idx), len(val_idx))
    return split_frames(train, val, 10)


def frame_params(config: Mapping[str, Any], data_dir: Path | None) -> dict[str, Any]:
    return {
        "timesteps": config["timesteps"],
        "denoise_us": config["events.denoise_us"],
        "upscale": config["neuro_digits.upscale"],
        "threshold": config["neuro_digits.threshold"],
        "seed": config["neuro_digits.seed"],
        "simulator": SIMULATOR_VERSION,
    }


def input_shape(config: Mapping[str, Any]) -> tuple[int, int, int]:
    side = sensor_side(config["neuro_digits.upscale"])
    return (2, side, side)


DATASETS.add(
    "neuro_digits",
    DatasetSpec(
        load_neuro_digits,
        "event-camera digits: synthetic saccade conversion of the real 8x8 digits (embedded)",
        input_shape=input_shape,
        num_classes=10,
        kind="event",
        frame_params=frame_params,
    ),
)
