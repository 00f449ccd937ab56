"""Shared machinery of the event datasets: tonic classes on the user's files, and events -> frames.

tonic's `_check_exists` wants the downloaded archive plus a minimum file count (10000 `.bin` for NMNIST, ...)
and otherwise starts a download. spikesweep checks the extracted layout itself (every split and class folder
present and non-empty, the archive optional) and names what is missing; it downloads only when the study
sets `data.download: true`. The tonic class is then used through a subclass that keeps the class name, since
tonic reads from `save_to/<ClassName>/`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..knobs import Knob, declare
from .base import DataBundle, DatasetMissing, event_datasets, require_data_dir

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

declare(
    Knob(
        "events.denoise_us",
        int,
        0,
        "drop events with no neighbour within this many µs (tonic Denoise; 0 = off)",
        low=0,
        high=10_000_000,
        unit="µs",
        when={"dataset": event_datasets()},
        owner="data",
    ),
)


def tonic_dataset(tonic_class: type, data_dir: Path, download: bool, **kwargs: Any):
    """An instance of a tonic dataset class reading `data_dir/<ClassName>/`, never downloading unless `download`.

    The caller has checked the layout; the subclass keeps the class name so that tonic's folder is unchanged.
    """
    if download:
        return tonic_class(save_to=str(data_dir), **kwargs)
    checked = type(tonic_class.__name__, (tonic_class,), {"_check_exists": lambda self: True})
    return checked(save_to=str(data_dir), **kwargs)


def extract_archives(root: Path, archives: Sequence[tuple[str, str]]) -> None:
    """Unpack `root/<archive>` where what it holds (`root/<product>`) is missing: the user downloaded, not unpacked.

    Pairs run in order, so an archive of archives (CIFAR10DVS.zip holding <class>.zip) unpacks fully.
    """
    from tonic.download_utils import extract_archive

    for archive, product in archives:
        if (root / archive).is_file() and not (root / product).exists():
            log.info("extracting %s", root / archive)
            extract_archive(str(root / archive), str(root))


def check_folders(dataset: str, root: Path, folders: Sequence[str], suffix: str, layout: str) -> None:
    """Raise `DatasetMissing` unless `root/folder` exists and holds a `*suffix` file for every folder."""
    if not root.is_dir():
        raise DatasetMissing(f"dataset {dataset!r}: the folder {root} is missing. Expected layout:\n{layout}")
    missing = [name for name in folders if not (root / name).is_dir()]
    empty = [name for name in folders if name not in missing and next((root / name).rglob(f"*{suffix}"), None) is None]
    if missing or empty:
        parts = [f"missing folders under {root}: {', '.join(missing)}"] if missing else []
        parts += [f"folders under {root} without {suffix} files: {', '.join(empty)}"] if empty else []
        raise DatasetMissing(f"dataset {dataset!r} is incomplete: {'; '.join(parts)}. Expected layout:\n{layout}")


def ensure_present(
    dataset: str,
    config: Mapping[str, Any],
    data_dir: Path | None,
    layout: str,
    check: Callable[[Path], None],
    download: Callable[[Path], None],
) -> Path:
    """The data directory after `check(data_dir)` passed; on failure, `download` first only if `data.download`."""
    if config["data.download"] and data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    folder = require_data_dir(dataset, data_dir, layout)
    try:
        check(folder)
    except DatasetMissing:
        if not config["data.download"]:
            raise
        download(folder)
        check(folder)
    return folder


def frame_transform(sensor_size: tuple[int, int, int], config: Mapping[str, Any], resolution: int | None = None):
    """tonic transform: events -> int16 frames `[T, 2, H, W]` (optionally denoised and downsampled first)."""
    import tonic.transforms as T

    steps = []
    if config["events.denoise_us"] > 0:
        steps.append(T.Denoise(filter_time=config["events.denoise_us"]))
    if resolution is not None and resolution != sensor_size[0]:
        steps.append(T.Downsample(spatial_factor=resolution / sensor_size[0]))
        sensor_size = (resolution, resolution, sensor_size[2])
    to_frame = T.ToFrame(sensor_size=sensor_size, n_time_bins=config["timesteps"])
    empty_shape = (config["timesteps"], sensor_size[2], sensor_size[1], sensor_size[0])

    def transform(events: np.ndarray) -> np.ndarray:
        for step in steps:
            events = step(events)
        if len(events) == 0:  # ToFrame cannot slice an empty recording
            return np.zeros(empty_shape, np.int16)
        return to_frame(events)

    return transform


def frames_of(samples: Iterable[tuple[np.ndarray, int]], count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack (frames, label) samples into int16 counts `[N, T, 2, H, W]` (tonic's dtype) and int64 labels `[N]`.

    `load_dataset` hands them out as float32; the cache stores the int16 counts without a float copy.
    """
    import torch

    frames, labels = None, np.empty(count, np.int64)
    for index, (frame, label) in enumerate(samples):
        if frames is None:
            frames = np.empty((count, *frame.shape), np.int16)
        frames[index] = frame
        labels[index] = label
    if frames is None:
        raise DatasetMissing("no samples were found")
    return torch.from_numpy(frames), torch.from_numpy(labels)


def split_frames(
    train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor], num_classes: int
) -> DataBundle:
    (train_x, train_y), (val_x, val_y) = train, val
    return DataBundle(
        train_x,
        train_y,
        val_x,
        val_y,
        (int(train_x.shape[2]), int(train_x.shape[3]), int(train_x.shape[4])),
        num_classes,
        "event",
    )


def sort_by_path(dataset: Any) -> Any:
    """Put a tonic dataset's samples in path order (tonic lists some folders in file-system order)."""
    order = sorted(range(len(dataset.data)), key=lambda i: dataset.data[i])
    dataset.data = [dataset.data[i] for i in order]
    for name in ("targets", "users", "lighting"):
        if hasattr(dataset, name):
            setattr(dataset, name, [getattr(dataset, name)[i] for i in order])
    return dataset
