"""`cifar10` and `cifar100`: the standard python-pickle archives (Krizhevsky 2009) from the data directory.

Either the archive (`cifar-10-python.tar.gz`, `cifar-100-python.tar.gz`) or its extracted folder is read,
without torchvision. Training split = the official training batches; validation = the official test batch.
Pixels are normalised per channel with the training split's mean and std.
"""

from __future__ import annotations

import pickle
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..registries import DATASETS
from .base import DataBundle, DatasetMissing, DatasetSpec, require_data_dir

if TYPE_CHECKING:
    pass

CROP_FLIP = {"crop_padding": 4, "flip": True}  # the common part of the FSTA / STAA / DTA CIFAR recipes


@dataclass(frozen=True)
class CifarFormat:
    name: str
    folder: str
    archive: str
    url: str
    md5: str
    train_files: tuple[str, ...]
    val_files: tuple[str, ...]
    label_key: bytes
    num_classes: int

    def layout(self) -> str:
        files = ", ".join(self.train_files + self.val_files)
        return (
            f"  <data_dir>/{self.archive}   (the archive as downloaded), or\n"
            f"  <data_dir>/{self.folder}/{{{files}}}   (the extracted folder)\n"
            f"Get it from {self.url} (md5 {self.md5}) and put it in the data directory, "
            f"or set `data.download: true` in the study."
        )


CIFAR10 = CifarFormat(
    "cifar10",
    "cifar-10-batches-py",
    "cifar-10-python.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "c58f30108f718f92721af3b95e74349a",
    tuple(f"data_batch_{i}" for i in range(1, 6)),
    ("test_batch",),
    b"labels",
    10,
)
CIFAR100 = CifarFormat(
    "cifar100",
    "cifar-100-python",
    "cifar-100-python.tar.gz",
    "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    "eb9058c3a382ffc7106e4002c42a8d85",
    ("train",),
    ("test",),
    b"fine_labels",
    100,
)


def missing_files(fmt: CifarFormat, data_dir: Path, names: tuple[str, ...]) -> list[str]:
    """The named batch files absent from the extracted folder (when there is one) or else from the archive."""
    folder = data_dir / fmt.folder
    if folder.is_dir():
        return [str(folder / name) for name in names if not (folder / name).is_file()]
    with tarfile.open(data_dir / fmt.archive, "r:gz") as tar:
        members = set(tar.getnames())
    return [f"{data_dir / fmt.archive}: {fmt.folder}/{name}" for name in names if f"{fmt.folder}/{name}" not in members]


def incomplete(fmt: CifarFormat, missing: list[str]) -> DatasetMissing:
    return DatasetMissing(
        f"dataset {fmt.name!r} is incomplete, missing {', '.join(missing)}. Expected layout:\n{fmt.layout()}"
    )


def read_batches(fmt: CifarFormat, data_dir: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 `[N, 3, 32, 32]` and labels int64 of the named pickle batches, from the folder or archive."""
    batches = []
    folder = data_dir / fmt.folder
    if folder.is_dir():
        missing = missing_files(fmt, data_dir, names)
        if missing:
            raise incomplete(fmt, missing)
        for name in names:
            with open(folder / name, "rb") as file:
                batches.append(pickle.load(file, encoding="bytes"))
    else:
        with tarfile.open(data_dir / fmt.archive, "r:gz") as tar:
            for name in names:
                try:
                    member = tar.extractfile(f"{fmt.folder}/{name}")
                except KeyError:
                    raise incomplete(fmt, [f"{data_dir / fmt.archive}: {fmt.folder}/{name}"]) from None
                if member is None:  # a folder or link of that name, not a file
                    raise incomplete(fmt, [f"{data_dir / fmt.archive}: {fmt.folder}/{name}"])
                batches.append(pickle.load(member, encoding="bytes"))
    images = np.concatenate([np.asarray(batch[b"data"], np.uint8) for batch in batches]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([np.asarray(batch[fmt.label_key], np.int64) for batch in batches])
    return images, labels


def present(fmt: CifarFormat, config: Mapping[str, Any], data_dir: Path | None) -> Path:
    """The data directory holding the folder or the archive (downloaded first only when `data.download`)."""
    if config["data.download"] and data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    folder = require_data_dir(fmt.name, data_dir, fmt.layout())
    if (folder / fmt.folder).is_dir() or (folder / fmt.archive).is_file():
        return folder
    if config["data.download"]:
        from tonic.download_utils import download_url

        download_url(fmt.url, str(folder), filename=fmt.archive, md5=fmt.md5)
        return folder
    raise DatasetMissing(
        f"dataset {fmt.name!r}: neither {folder / fmt.folder} nor {folder / fmt.archive} exists. "
        f"Expected layout:\n{fmt.layout()}"
    )


def check(fmt: CifarFormat, config: Mapping[str, Any], data_dir: Path | None) -> None:
    """Every batch file is there (reads the archive's listing: meant for the driver, once, before trials)."""
    folder = present(fmt, config, data_dir)
    missing = missing_files(fmt, folder, fmt.train_files + fmt.val_files)
    if missing:
        raise incomplete(fmt, missing)


def load_cifar(fmt: CifarFormat, config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import torch

    folder = present(fmt, config, data_dir)
    train_images, train_labels = read_batches(fmt, folder, fmt.train_files)
    val_images, val_labels = read_batches(fmt, folder, fmt.val_files)
    train_x = torch.from_numpy(train_images).float().div_(255)
    mean = train_x.mean(dim=(0, 2, 3), keepdim=True)
    std = train_x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
    val_x = (torch.from_numpy(val_images).float().div_(255) - mean) / std
    return DataBundle(
        (train_x - mean) / std,
        torch.from_numpy(train_labels),
        val_x,
        torch.from_numpy(val_labels),
        (3, 32, 32),
        fmt.num_classes,
        "static",
    )


def _loader(fmt: CifarFormat) -> Callable[[Mapping[str, Any], Path | None], DataBundle]:
    return lambda config, data_dir: load_cifar(fmt, config, data_dir)


def _checker(fmt: CifarFormat) -> Callable[[Mapping[str, Any], Path | None], None]:
    return lambda config, data_dir: check(fmt, config, data_dir)


for _fmt in (CIFAR10, CIFAR100):
    DATASETS.add(
        _fmt.name,
        DatasetSpec(
            _loader(_fmt),
            f"CIFAR-{_fmt.num_classes} (50000/10000 32x32 RGB images), python-pickle archive from the data directory",
            input_shape=(3, 32, 32),
            num_classes=_fmt.num_classes,
            kind="static",
            augment=CROP_FLIP,
            check=_checker(_fmt),
        ),
    )
