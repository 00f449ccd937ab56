"""The datasets, torch-free half: the augmentation knobs, and every dataset module (they import torch only inside
their loaders, so importing them registers each dataset and declares its knobs without torch)."""

from __future__ import annotations

from ..knobs import Knob, declare
from . import (  # noqa: F401  (each module registers its dataset and declares its knobs)
    base,
    cifar,
    cifar10_dvs,
    digits,
    dvs_gesture,
    events,
    neuro_digits,
    nmnist,
    synthetic,
)

_CUSTOM = {"augment": ("custom",)}

declare(
    Knob(
        "augment",
        str,
        "auto",
        "training augmentation: the dataset's recipe (auto), none, or the augment.* knobs",
        choices=("auto", "none", "custom"),
        owner="data",
    ),
    Knob(
        "augment.crop_padding",
        int,
        0,
        "random crop after zero padding by this many pixels (0 = off)",
        low=0,
        high=64,
        unit="px",
        when=_CUSTOM,
        owner="data",
    ),
    Knob("augment.flip", bool, False, "random horizontal flip with probability 0.5", when=_CUSTOM, owner="data"),
    Knob(
        "augment.cutout",
        int,
        0,
        "side of one zeroed square per sample (DeVries & Taylor 2017; 0 = off)",
        low=0,
        high=1024,
        unit="px",
        when=_CUSTOM,
        owner="data",
    ),
    Knob(
        "augment.cutmix",
        float,
        0.0,
        "probability per batch of CutMix (Yun et al. 2019, area ~ Beta(1,1))",
        low=0.0,
        high=1.0,
        when=_CUSTOM,
        owner="data",
    ),
)
