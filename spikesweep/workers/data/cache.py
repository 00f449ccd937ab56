"""The frame cache: event datasets converted to frames once per parameter set, then only read.

Layout: `<cache_dir>/frames/<dataset>-<key>/` holding `train_x.npy`, `train_y.npy`, `val_x.npy`, `val_y.npy`
(frames as int16 counts `[N, T, 2, H, W]`) and `meta.json` (the parameters, shape and class count). The key is
a hash of every parameter the frames depend on (T, resolution, transforms, source), so a change builds a new
folder. A cache is written to a temporary folder and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .base import DataBundle

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
ARRAYS = ("train_x", "train_y", "val_x", "val_y")


def cache_key(dataset: str, params: Mapping[str, Any]) -> str:
    """A short stable hash of the dataset name, the cache format and the frame parameters."""
    payload = json.dumps({"dataset": dataset, "format": FORMAT_VERSION, **params}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def cache_folder(cache_dir: Path, dataset: str, params: Mapping[str, Any]) -> Path:
    return Path(cache_dir) / "frames" / f"{dataset}-{cache_key(dataset, params)}"


@contextmanager
def build_lock(folder: Path) -> Iterator[None]:
    """An exclusive file lock beside a cache folder: one builder per folder on a node, the others wait."""
    locks = folder.parent.parent / "locks"  # beside frames/, so frames/ holds only caches
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{folder.name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_cache(cache_dir: Path, dataset: str, params: Mapping[str, Any], build: Callable[[], DataBundle]) -> Path:
    """The cache folder for (dataset, params), calling `build` and writing its frames only when it is absent.

    Built where it is read: the driver builds it in its cache, and a trial on a node whose cache lacks it builds it
    there, once per node (concurrent trials of the node wait on the build lock and then read it)."""
    folder = cache_folder(cache_dir, dataset, params)
    if folder.is_dir():
        log.info("frame cache hit: %s", folder)
        return folder
    with build_lock(folder):
        if folder.is_dir():  # built by another process while this one waited
            return folder
        return _write_cache(folder, dataset, params, build)


def _write_cache(folder: Path, dataset: str, params: Mapping[str, Any], build: Callable[[], DataBundle]) -> Path:
    log.info("building the frame cache %s", folder)
    bundle = build()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name in ARRAYS:
            tensor = getattr(bundle, name)
            array = tensor.numpy().astype(np.int16, copy=False) if name.endswith("_x") else tensor.numpy()
            np.save(staging / f"{name}.npy", array)
        meta = {
            "dataset": dataset,
            "params": dict(params),
            "input_shape": list(bundle.input_shape),
            "num_classes": bundle.num_classes,
            "kind": bundle.kind,
            "format": FORMAT_VERSION,
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
        os.rename(staging, folder)
    except OSError:
        if not folder.is_dir():  # another builder did not win the race: a real failure
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def read_cache(folder: Path) -> DataBundle:
    """The bundle stored in a cache folder, frames as float32 counts."""
    meta = json.loads((folder / "meta.json").read_text())
    arrays = {name: np.load(folder / f"{name}.npy") for name in ARRAYS}
    to_tensor = {
        name: torch.from_numpy(arrays[name].astype(np.float32) if name.endswith("_x") else arrays[name])
        for name in ARRAYS
    }
    return DataBundle(
        **to_tensor, input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"], kind=meta["kind"]
    )
