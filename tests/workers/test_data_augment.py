"""Device augmentation: crop with padding, flip, cutout, cutmix; recipes; wiring into the training loop."""

import pytest
import torch
import torch.nn.functional as F

from spikesweep.workers import run_trial
from spikesweep.workers.data.augment import BatchAugmenter, Recipe, cutmix, cutout, random_crop, random_flip, recipe
from spikesweep.workers.knobs import resolve


def gen(seed):
    return torch.Generator().manual_seed(seed)


def distinct_images(batch=16, channels=2, size=6):
    return torch.arange(1, batch * channels * size * size + 1, dtype=torch.float32).view(batch, channels, size, size)


def test_crop_with_padding_shifts_content_by_at_most_the_padding():
    x = distinct_images()
    out = random_crop(x, 2, gen(0))
    assert out.shape == x.shape
    padded = F.pad(x, (2, 2, 2, 2))
    shifts = []
    for i in range(len(x)):
        matches = [
            (top, left)
            for top in range(5)
            for left in range(5)
            if torch.equal(out[i], padded[i, :, top : top + 6, left : left + 6])
        ]
        assert len(matches) == 1  # every output is exactly one window of the padded image
        shifts.append(matches[0])
    assert len(set(shifts)) > 4 and any(s != (2, 2) for s in shifts)


def test_crop_works_on_event_frames_the_same_for_all_steps():
    frames = distinct_images(8, 6, 5).view(8, 3, 2, 5, 5)
    out = random_crop(frames, 1, gen(1))
    assert out.shape == frames.shape
    again = random_crop(frames.view(8, 6, 5, 5), 1, gen(1)).view(8, 3, 2, 5, 5)
    assert torch.equal(out, again)


def test_flip_is_an_exact_mirror_of_some_samples():
    x = distinct_images(32)
    out = random_flip(x, gen(0))
    flipped = [torch.equal(out[i], x[i].flip(-1)) for i in range(32)]
    kept = [torch.equal(out[i], x[i]) for i in range(32)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 4 < sum(flipped) < 28


def test_cutout_zeroes_one_clipped_square_per_sample():
    x = torch.ones(64, 3, 10, 10)
    out = cutout(x, 4, gen(0))
    zeroed = (out == 0).all(dim=1)  # same hole in every channel
    assert torch.equal((out == 0).any(dim=1), zeroed)
    areas = zeroed.sum(dim=(1, 2))
    assert areas.max() == 16 and areas.min() >= 4  # a corner clips a 4x4 hole to at least 2x2
    rows, cols = zeroed.any(dim=2), zeroed.any(dim=1)
    assert torch.equal(areas, rows.sum(1) * cols.sum(1))  # a rectangle, not scattered pixels


def test_cutmix_pastes_a_box_and_weights_targets_by_area():
    x = torch.arange(8, dtype=torch.float32).view(8, 1, 1, 1).expand(8, 2, 8, 8).contiguous()
    y = torch.arange(8)
    mixed, targets = cutmix(x, y, 1.0, 10, gen(3))
    assert mixed.shape == x.shape and targets.shape == (8, 10)
    assert torch.allclose(targets.sum(1), torch.ones(8))
    own = (mixed[:, 0] == x[:, 0]).float().mean(dim=(1, 2))
    assert torch.allclose(targets[torch.arange(8), y], own)
    assert (own < 1).any()
    never, soft = cutmix(x, y, 0.0, 10, gen(3))
    assert torch.equal(never, x) and torch.equal(soft, F.one_hot(y, 10).float())


def test_same_generator_seed_same_batch_and_another_seed_differs():
    plan = Recipe(crop_padding=2, flip=True, cutout=3, cutmix=0.5)
    x, y = distinct_images(), torch.arange(16) % 10
    first = BatchAugmenter(plan, 10, torch.device("cpu"), 7)(x, y)
    again = BatchAugmenter(plan, 10, torch.device("cpu"), 7)(x, y)
    other = BatchAugmenter(plan, 10, torch.device("cpu"), 8)(x, y)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_recipes_per_dataset_and_custom_knobs():
    assert recipe(resolve({"dataset": "digits"})) == Recipe()
    assert recipe(resolve({"dataset": "cifar10"})) == Recipe(crop_padding=4, flip=True)
    assert recipe(resolve({"dataset": "cifar10_dvs"})) == Recipe(flip=True)
    assert recipe(resolve({"dataset": "dvs_gesture"})) == Recipe()  # mirrored gestures are other classes
    assert recipe(resolve({"dataset": "cifar10", "augment": "none"})) == Recipe()
    custom = resolve({"augment": "custom", "augment.cutout": 16, "augment.cutmix": 0.5})
    assert recipe(custom) == Recipe(cutout=16, cutmix=0.5)


FAST = {"epochs": 1, "timesteps": 1, "optimizer": "adam", "lr": 0.01, "batch_size": 128, "energy.samples": 16}


def test_training_loop_applies_the_augmentation():
    plain = run_trial(FAST, lambda m: None)
    custom = {**FAST, "augment": "custom", "augment.crop_padding": 2, "augment.flip": True, "augment.cutmix": 0.5}
    augmented = run_trial(custom, lambda m: None)
    assert augmented["loss"] != plain["loss"]
    assert run_trial(custom, lambda m: None) == augmented


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_augmentation_runs_on_the_gpu_with_a_gpu_generator():
    x = distinct_images().cuda()
    out, _ = BatchAugmenter(Recipe(crop_padding=2, flip=True, cutout=2), 10, x.device, 0)(x, torch.zeros(16).long())
    assert out.is_cuda and out.shape == x.shape
