"""`cifar10_dvs`: CIFAR10-DVS (Li et al. 2017), CIFAR-10 images shown to an event camera, read by tonic.

Frames: `[T, 2, R, R]`, R = `cifar10_dvs.resolution` (events downsampled from 128x128; the FSTA code uses 64,
DTA 48), T = `timesteps`. Split 9:1 per class as the papers do (SpikingJelly's `split_to_train_test_set`): the
first ceil(90%) recordings of each class, in file-name order, train; the rest validate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..knobs import Knob, declare
from ..registries import DATASETS
from .base import DataBundle, DatasetMissing, DatasetSpec
from .events import (
    check_folders,
    ensure_present,
    extract_archives,
    frame_transform,
    frames_of,
    sort_by_path,
    split_frames,
    tonic_dataset,
)

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_FRACTION = 0.9
LAYOUT = (
    """  <data_dir>/CIFAR10DVS/<class>/*.aedat4   for the classes """
    + ", ".join(CLASS_NAMES)
    + """
Get tonic's CIFAR10DVS.zip (figshare 38023437), unzip it and the per-class zips inside it into
<data_dir>/CIFAR10DVS/ (or just put CIFAR10DVS.zip there), or set `data.download: true` in the study to
let tonic download it."""
)

declare(
    Knob(
        "cifar10_dvs.resolution",
        int,
        64,
        "frame height and width (events downsampled from 128x128)",
        choices=(48, 64, 128),
        unit="px",
        when={"dataset": ("cifar10_dvs",)},
        owner="data",
    ),
)


def check(data_dir: Path) -> None:
    extract_archives(
        data_dir / "CIFAR10DVS", [("CIFAR10DVS.zip", "airplane.zip")] + [(f"{name}.zip", name) for name in CLASS_NAMES]
    )
    check_folders("cifar10_dvs", data_dir / "CIFAR10DVS", CLASS_NAMES, ".aedat4", LAYOUT)


def present(config: Mapping[str, Any], data_dir: Path | None) -> Path:
    def download(folder: Path) -> None:
        import tonic

        tonic_dataset(tonic.datasets.CIFAR10DVS, folder, True)

    return ensure_present("cifar10_dvs", config, data_dir, LAYOUT, check, download)


def split_per_class(targets: list[int], train_fraction: float) -> tuple[list[int], list[int]]:
    """Indices (train, val): the first ceil(fraction) of each class's samples, in their order, train."""
    labels = np.asarray(targets)
    train, val = [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label).tolist()
        cut = math.ceil(len(idx) * train_fraction)
        train += idx[:cut]
        val += idx[cut:]
    return sorted(train), sorted(val)


def load_cifar10_dvs(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import tonic

    folder = present(config, data_dir)
    transform = frame_transform(tonic.datasets.CIFAR10DVS.sensor_size, config, config["cifar10_dvs.resolution"])
    dataset = sort_by_path(tonic_dataset(tonic.datasets.CIFAR10DVS, folder, False, transform=transform))
    train_idx, val_idx = split_per_class(dataset.targets, TRAIN_FRACTION)
    if not val_idx:
        raise DatasetMissing(
            f"dataset 'cifar10_dvs' under {folder / 'CIFAR10DVS'} has too few recordings for a 9:1 "
            f"split ({len(dataset.targets)} in all; at least 10 per class leave one to validate)"
        )
    train = frames_of((dataset[i] for i in train_idx), len(train_idx))
    val = frames_of((dataset[i] for i in val_idx), len(val_idx))
    return split_frames(train, val, len(CLASS_NAMES))


def frame_params(config: Mapping[str, Any], data_dir: Path | None) -> dict[str, Any]:
    return {
        "timesteps": config["timesteps"],
        "denoise_us": config["events.denoise_us"],
        "resolution": config["cifar10_dvs.resolution"],
        "train_fraction": TRAIN_FRACTION,
        "source": str(data_dir / "CIFAR10DVS") if data_dir else None,
    }


def input_shape(config: Mapping[str, Any]) -> tuple[int, int, int]:
    return (2, config["cifar10_dvs.resolution"], config["cifar10_dvs.resolution"])


DATASETS.add(
    "cifar10_dvs",
    DatasetSpec(
        load_cifar10_dvs,
        "CIFAR10-DVS (10 classes, 128x128 events, 2 polarities, split 9:1 per class), from the data directory",
        input_shape=input_shape,
        num_classes=len(CLASS_NAMES),
        kind="event",
        augment={"flip": True},
        frame_params=frame_params,
        check=present,
    ),
)
