"""`nmnist`: N-MNIST (Orchard et al. 2015), MNIST digits recorded by a moving event camera, read by tonic.

Frames: `[T, 2, 34, 34]` with T = `timesteps` (tonic `ToFrame(n_time_bins=T)`); the official Train/Test split.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..registries import DATASETS
from .base import DataBundle, DatasetSpec
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

SPLITS = {"Train": True, "Test": False}
LAYOUT = """  <data_dir>/NMNIST/Train/<digit 0-9>/*.bin   (or train.zip there, unpacked on first use)
  <data_dir>/NMNIST/Test/<digit 0-9>/*.bin    (or test.zip there)
Get N-MNIST from https://www.garrickorchard.com/datasets/n-mnist (Mendeley Data 468j46mzdv) and unzip both
archives into <data_dir>/NMNIST/ (or just put them there), or set `data.download: true` in the study to
let tonic download them."""


ARCHIVES = (("train.zip", "Train"), ("test.zip", "Test"))


def check(data_dir: Path) -> None:
    extract_archives(data_dir / "NMNIST", ARCHIVES)
    folders = [f"{split}/{digit}" for split in SPLITS for digit in range(10)]
    check_folders("nmnist", data_dir / "NMNIST", folders, ".bin", LAYOUT)


def present(config: Mapping[str, Any], data_dir: Path | None) -> Path:
    def download(folder: Path) -> None:
        import tonic

        for train in SPLITS.values():
            tonic_dataset(tonic.datasets.NMNIST, folder, True, train=train)

    return ensure_present("nmnist", config, data_dir, LAYOUT, check, download)


def load_nmnist(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import tonic

    folder = present(config, data_dir)
    transform = frame_transform(tonic.datasets.NMNIST.sensor_size, config)
    splits = []
    for train in SPLITS.values():
        dataset = sort_by_path(tonic_dataset(tonic.datasets.NMNIST, folder, False, train=train, transform=transform))
        splits.append(frames_of((dataset[i] for i in range(len(dataset))), len(dataset)))
    return split_frames(splits[0], splits[1], 10)


def frame_params(config: Mapping[str, Any], data_dir: Path | None) -> dict[str, Any]:
    return {
        "timesteps": config["timesteps"],
        "denoise_us": config["events.denoise_us"],
        "source": str(data_dir / "NMNIST") if data_dir else None,
    }


DATASETS.add(
    "nmnist",
    DatasetSpec(
        load_nmnist,
        "N-MNIST event-camera digits (60000/10000, 34x34, 2 polarities), from the data directory",
        input_shape=(2, 34, 34),
        num_classes=10,
        kind="event",
        frame_params=frame_params,
        check=present,
    ),
)
