"""`synthetic`: random tensors of a chosen shape and class count, for benchmarks (not a learnable task).

Static samples `[C, S, S]` are standard normal; `synthetic.kind: event` gives non-negative integer counts
`[T, C, S, S]` (T = `timesteps`) like event frames. Labels are uniform. Generated from `synthetic.seed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..knobs import Knob, declare
from ..registries import DATASETS
from .base import DataBundle, DatasetSpec

if TYPE_CHECKING:
    import torch

_WHEN = {"dataset": ("synthetic",)}

declare(
    Knob("synthetic.channels", int, 3, "channels per sample", low=1, high=64, when=_WHEN, owner="data"),
    Knob(
        "synthetic.size", int, 32, "height and width of a sample", low=1, high=1024, unit="px", when=_WHEN, owner="data"
    ),
    Knob("synthetic.classes", int, 10, "number of classes", low=2, high=100_000, when=_WHEN, owner="data"),
    Knob("synthetic.train_samples", int, 1024, "training samples", low=1, high=10_000_000, when=_WHEN, owner="data"),
    Knob("synthetic.val_samples", int, 256, "validation samples", low=1, high=10_000_000, when=_WHEN, owner="data"),
    Knob(
        "synthetic.kind",
        str,
        "static",
        "static images or event frames over T",
        choices=("static", "event"),
        when=_WHEN,
        owner="data",
    ),
    Knob("synthetic.seed", int, 0, "seed of the generated tensors", low=0, high=2**31 - 1, when=_WHEN, owner="data"),
)


def input_shape(config: Mapping[str, Any]) -> tuple[int, int, int]:
    return (config["synthetic.channels"], config["synthetic.size"], config["synthetic.size"])


def random_split(config: Mapping[str, Any], count: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    import torch

    shape = input_shape(config)
    if config["synthetic.kind"] == "event":
        x = torch.poisson(torch.full((count, config["timesteps"], *shape), 0.5), generator=generator)
    else:
        x = torch.randn((count, *shape), generator=generator)
    y = torch.randint(config["synthetic.classes"], (count,), generator=generator)
    return x, y


def load_synthetic(config: Mapping[str, Any], data_dir: Path | None) -> DataBundle:
    import torch

    generator = torch.Generator().manual_seed(config["synthetic.seed"])
    train_x, train_y = random_split(config, config["synthetic.train_samples"], generator)
    val_x, val_y = random_split(config, config["synthetic.val_samples"], generator)
    return DataBundle(
        train_x, train_y, val_x, val_y, input_shape(config), config["synthetic.classes"], config["synthetic.kind"]
    )


DATASETS.add(
    "synthetic",
    DatasetSpec(
        load_synthetic,
        "random tensors of a chosen shape and class count (benchmarks only)",
        input_shape=input_shape,
        num_classes=lambda config: config["synthetic.classes"],
        kind=lambda config: config["synthetic.kind"],
    ),
)
