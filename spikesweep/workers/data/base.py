"""What a dataset plug-in declares and returns."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

import torch

from ..registries import DATASETS, load_plugins


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


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset: its loader and a one-line description."""

    load: Callable[[Mapping[str, Any], Path | None], DataBundle]
    description: str


def load_dataset(config: Mapping[str, Any], data_dir: Path | None = None) -> DataBundle:
    """Load the dataset a resolved configuration names."""
    load_plugins()
    return DATASETS.get(config["dataset"]).load(config, data_dir)
