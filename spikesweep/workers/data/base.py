"""What a dataset plug-in declares and returns, and the three entry points the rest of spikesweep calls.

- `resolve_data_dir(explicit)`: the user's data directory (study file / `--data-dir`, else `SPIKESWEEP_DATA`).
- `prepare_dataset(config, data_dir, cache_dir)`: called by the driver once before trials start; checks the data
  is there (raising `DatasetMissing` otherwise) and converts event datasets to frames into the cache.
- `load_dataset(config, data_dir, cache_dir)`: called by a trial; reads the frame cache when there is one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..knobs import Knob, declare, resolve
from ..plugin_registry import NameView
from ..registries import DATASETS, load_plugins

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

DATA_DIR_ENV = "SPIKESWEEP_DATA"
NO_DATA_DIR = (
    f"no data directory was given: set `data_dir` in the study file, pass --data-dir, "
    f"or set the environment variable {DATA_DIR_ENV}"
)


def event_datasets() -> NameView:
    """A live view of the names of the registered event datasets (those whose `kind` is "event")."""
    return DATASETS.names_where(lambda spec: spec.kind == "event")


def data_dir_datasets() -> NameView:
    """A live view of the datasets read from the user's data directory (those with a `check`, which downloads)."""
    return DATASETS.names_where(lambda spec: spec.check is not None)


declare(
    Knob(
        "data.download",
        bool,
        False,
        "download a dataset that is missing from the data directory (needs network)",
        when={"dataset": data_dir_datasets()},
        owner="data",
    ),
)


class DatasetMissing(ValueError):
    """The data directory lacks (part of) a dataset; the message names what is missing and how to get it."""


@dataclass
class DataBundle:
    """A whole dataset held as tensors. Static: x `[N, C, H, W]`; event frames: x `[N, T, C, H, W]`."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    input_shape: tuple[int, int, int]
    num_classes: int
    kind: Literal["static", "event"]


Shape = tuple[int, int, int]


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset.

    `input_shape` is (C, H, W) of one sample (one frame for event data); it, `num_classes` and `kind` are values
    or functions of the resolved configuration.
    `augment` is the dataset's recipe used when `augment: auto` (see `augment.py`).
    Event datasets set `frame_params(config, data_dir) -> dict`: everything their frames depend on; it keys the
    frame cache, so a changed parameter builds a new cache.
    `check(config, data_dir)` raises `DatasetMissing` when the files are not all there (downloading first when
    `data.download` is set).
    """

    load: Callable[[Mapping[str, Any], Path | None], DataBundle]
    description: str
    input_shape: Shape | Callable[[Mapping[str, Any]], Shape]
    num_classes: int | Callable[[Mapping[str, Any]], int]
    kind: Literal["static", "event"] | Callable[[Mapping[str, Any]], Literal["static", "event"]]
    augment: Mapping[str, Any] = field(default_factory=dict)
    frame_params: Callable[[Mapping[str, Any], Path | None], dict[str, Any]] | None = None
    check: Callable[[Mapping[str, Any], Path | None], object] | None = None

    def shape(self, config: Mapping[str, Any]) -> Shape:
        """The (C, H, W) input shape under a resolved configuration."""
        return self.input_shape(config) if callable(self.input_shape) else self.input_shape

    def classes(self, config: Mapping[str, Any]) -> int:
        """The number of classes under a resolved configuration."""
        return self.num_classes(config) if callable(self.num_classes) else self.num_classes

    def kind_of(self, config: Mapping[str, Any]) -> Literal["static", "event"]:
        """static (images `[C, H, W]`) or event (frames `[T, C, H, W]`) under a resolved configuration."""
        return self.kind(config) if callable(self.kind) else self.kind


def resolve_data_dir(explicit: str | os.PathLike | None) -> Path | None:
    """The data directory: `explicit` when given, else `$SPIKESWEEP_DATA`, else None (`~` is expanded)."""
    value = explicit if explicit not in (None, "") else os.environ.get(DATA_DIR_ENV) or None
    return Path(value).expanduser().resolve() if value is not None else None


def require_data_dir(dataset: str, data_dir: Path | None, layout: str) -> Path:
    """`data_dir` itself, or `DatasetMissing` explaining where the data directory comes from and what goes in it."""
    if data_dir is None:
        raise DatasetMissing(f"dataset {dataset!r}: {NO_DATA_DIR}. Expected layout under it:\n{layout}")
    if not data_dir.is_dir():
        raise DatasetMissing(
            f"dataset {dataset!r}: the data directory {data_dir} does not exist. Expected layout under it:\n{layout}"
        )
    return data_dir


def dataset_spec(config: Mapping[str, Any]) -> DatasetSpec:
    load_plugins()
    return DATASETS.get(config["dataset"])


def prepare_dataset(
    config: Mapping[str, Any], data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> Path | None:
    """Make a configuration's data ready before trials start; returns the frame cache folder (None for static data).

    Checks the files (raises `DatasetMissing`, downloading first only when `data.download` is true) and, for
    event datasets with a `cache_dir`, converts the events to frames once; an existing cache is reused.
    """
    from .cache import build_cache

    config = resolve(config)
    spec = dataset_spec(config)
    folder = resolve_data_dir(data_dir)
    if spec.check is not None:
        spec.check(config, folder)
    if spec.frame_params is None or cache_dir is None:
        return None
    return build_cache(
        Path(cache_dir), config["dataset"], spec.frame_params(config, folder), lambda: spec.load(config, folder)
    )


def load_dataset(
    config: Mapping[str, Any], data_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> DataBundle:
    """Load the dataset a configuration names; event frames come from this node's frame cache (built if absent)."""
    from .cache import build_cache, read_cache

    config = resolve(config)
    spec = dataset_spec(config)
    folder = resolve_data_dir(data_dir)
    if spec.frame_params is not None and cache_dir is not None:
        # the cache of this node: built here (once, under a lock) when the driver's build is on another machine
        params = spec.frame_params(config, folder)
        return read_cache(build_cache(Path(cache_dir), config["dataset"], params, lambda: spec.load(config, folder)))
    bundle = spec.load(config, folder)
    if not bundle.train_x.is_floating_point():  # event frames arrive as int16 counts
        bundle = DataBundle(
            bundle.train_x.float(),
            bundle.train_y,
            bundle.val_x.float(),
            bundle.val_y,
            bundle.input_shape,
            bundle.num_classes,
            bundle.kind,
        )
    return bundle
