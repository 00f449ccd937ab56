"""`dvs_gesture`: IBM DVS128 Gesture (Amir et al. 2017), 11 hand gestures by 29 users, read by tonic.

Frames: `[T, 2, R, R]`, R = `dvs_gesture.resolution` (events downsampled from 128x128 by tonic `Downsample`),
T = `timesteps`; the official train (users 1-23) / test (users 24-29) split. No flip in the `auto` recipe:
mirrored left- and right-hand gestures are different classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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

SPLITS = {"ibmGestureTrain": True, "ibmGestureTest": False}
CLASSES = 11
LAYOUT = """  <data_dir>/DVSGesture/ibmGestureTrain/user<NN>_<lighting>/<label 0-10>.npy
  <data_dir>/DVSGesture/ibmGestureTest/user<NN>_<lighting>/<label 0-10>.npy
  (tonic's preprocessed DVS128 Gesture: one (N, 4) array of x, y, p, t[ms] per recording)
Get ibmGestureTrain.tar.gz and ibmGestureTest.tar.gz (tonic's DVSGesture archives, figshare) and extract both
into <data_dir>/DVSGesture/ (or just put them there), or set `data.download: true` in the study to let
tonic download them."""

declare(
    Knob(
        "dvs_gesture.resolution",
        int,
        128,
        "frame height and width (events downsampled from 128x128)",
        choices=(48, 64, 128),
        unit="px",
        when={"dataset": ("dvs_gesture",)},
        owner="data",
    ),
)


def check(data_dir: Path) -> None:
    root = data_dir / "DVSGesture"
    extract_archives(root, [(f"{split}.tar.gz", split) for split in SPLITS])
    check_folders("dvs_gesture", root, list(SPLITS), ".npy", LAYOUT)
    for split in SPLITS:
        labels = {path.stem for path in (root / split).rglob("*.npy")}
        missing = sorted(set(range(CLASSES)) - {int(label) for label in labels if label.isdigit()})
        if missing:
            raise DatasetMissing(
                f"dataset 'dvs_gesture' is incomplete: {root / split} has no recording of labels "
                f"{missing}. Expected layout:\n{LAYOUT}"
            )


def present(config: Mapping[str, Any], data_dir: Path | None) -> Path:
    def download(folder: Path) -> None:
        import tonic

        for train in SPLITS.values():
            tonic_dataset(tonic.datasets.DVSGesture, folder, True, train=train)

    return ensure_present("dvs_gesture", config, data_dir, LAYOUT, check, download)


def load_dvs_gesture(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import tonic

    folder = present(config, data_dir)
    transform = frame_transform(tonic.datasets.DVSGesture.sensor_size, config, config["dvs_gesture.resolution"])
    splits = []
    for train in SPLITS.values():
        dataset = tonic_dataset(tonic.datasets.DVSGesture, folder, False, train=train, transform=transform)
        dataset = sort_by_path(dataset)
        splits.append(frames_of((dataset[i] for i in range(len(dataset))), len(dataset)))
    return split_frames(splits[0], splits[1], CLASSES)


def frame_params(config: Mapping[str, Any], data_dir: Path | None) -> dict[str, Any]:
    return {
        "timesteps": config["timesteps"],
        "denoise_us": config["events.denoise_us"],
        "resolution": config["dvs_gesture.resolution"],
        "source": str(data_dir / "DVSGesture") if data_dir else None,
    }


def input_shape(config: Mapping[str, Any]) -> tuple[int, int, int]:
    return (2, config["dvs_gesture.resolution"], config["dvs_gesture.resolution"])


DATASETS.add(
    "dvs_gesture",
    DatasetSpec(
        load_dvs_gesture,
        "DVS128 Gesture (11 gestures, 128x128 events, 2 polarities), from the data directory",
        input_shape=input_shape,
        num_classes=CLASSES,
        kind="event",
        frame_params=frame_params,
        check=present,
    ),
)
