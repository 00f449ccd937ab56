"""`digits`: scikit-learn's 8x8 handwritten digits (real data shipped with scikit-learn), fixed split.

`digits.upscale` = k resizes the images bilinearly to 8k x 8k (for backbones that downsample several times).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..knobs import Knob, declare
from ..registries import DATASETS
from .base import DataBundle, DatasetSpec

if TYPE_CHECKING:
    import torch

SPLIT_SEED = 0  # the train/validation split never depends on the trial seed
VAL_FRACTION = 0.2
SIDE = 8

declare(
    Knob(
        "digits.upscale",
        int,
        1,
        "resize the 8x8 digits bilinearly by this factor (1 = native 8x8)",
        low=1,
        high=16,
        when={"dataset": ("digits",)},
        owner="data",
    ),
)


def stratified_split(labels: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): the same fraction of every class goes to validation."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_val = int(round(len(idx) * val_fraction))
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def digit_images(upscale: int = 1) -> tuple[torch.Tensor, np.ndarray]:
    """All 1797 digits as intensities in [0, 1], `[N, 1, 8k, 8k]` float32, and their labels."""
    import torch
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    if upscale > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=upscale, mode="bilinear", align_corners=False)
    return images, digits.target.astype(np.int64)


def load_digits_bundle(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import torch

    images, labels = digit_images(config["digits.upscale"])
    train_idx, val_idx = stratified_split(labels, VAL_FRACTION, SPLIT_SEED)
    pixels = images.numpy()
    mean, std = pixels[train_idx].mean(), pixels[train_idx].std()
    x = torch.from_numpy((pixels - mean) / std)
    y = torch.from_numpy(labels)
    return DataBundle(x[train_idx], y[train_idx], x[val_idx], y[val_idx], input_shape(config), 10, "static")


def input_shape(config: Mapping[str, Any]) -> tuple[int, int, int]:
    side = SIDE * config["digits.upscale"]
    return (1, side, side)


DATASETS.add(
    "digits",
    DatasetSpec(
        load_digits_bundle,
        "scikit-learn 8x8 digits (1797 images, 10 classes; real, embedded)",
        input_shape=input_shape,
        num_classes=10,
        kind="static",
    ),
)
