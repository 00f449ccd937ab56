"""`digits`: scikit-learn's 8x8 handwritten digits (real data shipped with scikit-learn), fixed split."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from ..registries import DATASETS
from .base import DataBundle, DatasetSpec

SPLIT_SEED = 0  # the train/validation split never depends on the trial seed
VAL_FRACTION = 0.2


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


def load_digits_bundle(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0
    labels = digits.target.astype(np.int64)
    train_idx, val_idx = stratified_split(labels, VAL_FRACTION, SPLIT_SEED)
    mean, std = images[train_idx].mean(), images[train_idx].std()
    x = torch.from_numpy((images - mean) / std).unsqueeze(1)
    y = torch.from_numpy(labels)
    return DataBundle(x[train_idx], y[train_idx], x[val_idx], y[val_idx], (1, 8, 8), 10, "static")


DATASETS.add("digits", DatasetSpec(load_digits_bundle, "scikit-learn 8x8 digits (1797 images, 10 classes)"))
