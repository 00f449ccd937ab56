"""Batch augmentation on the trial's device: random crop with padding, horizontal flip, cutout, cutmix.

Works on whole batches `[B, ..., H, W]` (images or event frames) with a `torch.Generator` on the same device and
no host synchronisation, so resident datasets never wait on a CPU data loader.

`augment: auto` (the default) uses the dataset's recipe (`DatasetSpec.augment`):
- cifar10 / cifar100: crop with 4 px padding + flip (the part the FSTA, STAA and DTA recipes share; FSTA adds
  cutout 16, DTA cutmix 0.5: set them with `augment: custom`);
- cifar10_dvs: flip (FSTA and DTA);
- digits, neuro_digits, nmnist, dvs_gesture, synthetic: nothing (digits are not mirror-symmetric, 8x8 images
  leave no room for crops, and mirrored gestures are different classes).
`augment: none` turns everything off; `augment: custom` uses exactly the `augment.*` knobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from .base import DataBundle, dataset_spec


@dataclass(frozen=True)
class Recipe:
    crop_padding: int = 0
    flip: bool = False
    cutout: int = 0
    cutmix: float = 0.0

    @property
    def active(self) -> bool:
        return bool(self.crop_padding or self.flip or self.cutout or self.cutmix)


def recipe(config: Mapping[str, Any]) -> Recipe:
    """The augmentation a resolved configuration asks for."""
    if config["augment"] == "none":
        return Recipe()
    if config["augment"] == "auto":
        return Recipe(**dataset_spec(config).augment)
    return Recipe(
        config["augment.crop_padding"], config["augment.flip"], config["augment.cutout"], config["augment.cutmix"]
    )


def random_crop(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Zero-pad H and W by `padding`, then cut a random H x W window per sample."""
    batch, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    flat = F.pad(x.reshape(batch, -1, height, width), (padding,) * 4)
    span = 2 * padding + 1
    top = torch.randint(span, (batch,), generator=generator, device=x.device)
    left = torch.randint(span, (batch,), generator=generator, device=x.device)
    rows = top[:, None] + torch.arange(height, device=x.device)
    cols = left[:, None] + torch.arange(width, device=x.device)
    planes = flat.shape[1]
    flat = flat.gather(2, rows[:, None, :, None].expand(batch, planes, height, flat.shape[3]))
    flat = flat.gather(3, cols[:, None, None, :].expand(batch, planes, height, width))
    return flat.reshape(x.shape)


def random_flip(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Mirror each sample left-right with probability 0.5."""
    flip = torch.rand(x.shape[0], generator=generator, device=x.device) < 0.5
    return torch.where(flip.view(-1, *([1] * (x.dim() - 1))), x.flip(-1), x)


def box_mask(
    centre_y: torch.Tensor, centre_x: torch.Tensor, size_y: torch.Tensor, size_x: torch.Tensor, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks `[..., H, W]` of boxes clipped to the image, and their areas in pixels."""
    device = centre_y.device
    top = (centre_y - size_y // 2).clamp(0, height)
    bottom = (centre_y + size_y // 2).clamp(0, height)
    left = (centre_x - size_x // 2).clamp(0, width)
    right = (centre_x + size_x // 2).clamp(0, width)
    ys, xs = torch.arange(height, device=device), torch.arange(width, device=device)
    inside_y = (ys >= top[..., None]) & (ys < bottom[..., None])
    inside_x = (xs >= left[..., None]) & (xs < right[..., None])
    return inside_y[..., :, None] & inside_x[..., None, :], (bottom - top) * (right - left)


def cutout(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Zero one `size` x `size` square (clipped at the border) at a random centre in each sample."""
    batch, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    centre_y = torch.randint(height, (batch,), generator=generator, device=x.device)
    centre_x = torch.randint(width, (batch,), generator=generator, device=x.device)
    side = torch.full((batch,), size, device=x.device)
    mask, _ = box_mask(centre_y, centre_x, side, side, height, width)
    return x.masked_fill(mask.view(batch, *([1] * (x.dim() - 3)), height, width), 0)


def cutmix(
    x: torch.Tensor, y: torch.Tensor, probability: float, num_classes: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """With `probability`, paste one box of a shuffled batch into the batch; soft targets weighted by area."""
    batch, height, width = x.shape[0], x.shape[-2], x.shape[-1]
    device = x.device
    apply = torch.rand((), generator=generator, device=device) < probability
    ratio = (1 - torch.rand((), generator=generator, device=device)).sqrt()  # lam ~ U(0, 1) = Beta(1, 1)
    centre_y = torch.randint(height, (), generator=generator, device=device)
    centre_x = torch.randint(width, (), generator=generator, device=device)
    mask, area = box_mask(centre_y, centre_x, (height * ratio).long(), (width * ratio).long(), height, width)
    mask = mask & apply
    partner = torch.randperm(batch, generator=generator, device=device)
    mixed = torch.where(mask, x[partner], x)
    kept = 1 - (area * apply).float() / (height * width)
    targets = F.one_hot(y, num_classes).float()
    return mixed, kept * targets + (1 - kept) * targets[partner]


class BatchAugmenter:
    """Applies a recipe to training batches; returns (x, targets), targets soft `[B, K]` when CutMix is on."""

    def __init__(self, plan: Recipe, num_classes: int, device: torch.device, seed: int) -> None:
        self.plan = plan
        self.num_classes = num_classes
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.plan.crop_padding:
            x = random_crop(x, self.plan.crop_padding, self.generator)
        if self.plan.flip:
            x = random_flip(x, self.generator)
        if self.plan.cutout:
            x = cutout(x, self.plan.cutout, self.generator)
        if self.plan.cutmix:
            x, y = cutmix(x, y, self.plan.cutmix, self.num_classes, self.generator)
        return x, y


def batch_augmenter(
    config: Mapping[str, Any], data: DataBundle, device: torch.device, generator: torch.Generator
) -> BatchAugmenter | None:
    """The epoch's augmenter, seeded from the trial's generator; None (drawing nothing) when nothing is on."""
    plan = recipe(config)
    if not plan.active:
        return None
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return BatchAugmenter(plan, data.num_classes, device, seed)
