"""Samples/s of one training epoch's data path: device-resident tensors + batch augmentation on the device
(what `run_trial` does) vs a standard torch DataLoader (per-sample CPU augmentation, then a copy to the device).

The data path is everything between "the epoch starts" and "a shuffled, augmented batch is on the device";
no model runs. Cases: digits; cifar10 from a pickle fixture written in a tmp dir and read by the real loader;
cifar10-sized synthetic tensors (50000x3x32x32 with --full or on CUDA); neuro_digits event frames, whose
DataLoader baseline reads tonic's DiskCachedDataset (one HDF5 file per sample, the route tonic documents).

    PYTHONPATH=. python benchmarks/bench_data.py                # CPU, small sizes
    PYTHONPATH=. python benchmarks/bench_data.py --device cuda --full --workers 0,4,8
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from spikesweep.workers.data import load_dataset
from spikesweep.workers.data.augment import BatchAugmenter, Recipe
from spikesweep.workers.data.base import DataBundle


class AugmentedSamples(Dataset):
    """Per-sample CPU augmentation, the way torchvision transforms run inside a DataLoader."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, plan: Recipe) -> None:
        self.x, self.y, self.plan = x, y, plan

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sample = self.x[index]
        pad = self.plan.crop_padding
        if pad:
            height, width = sample.shape[-2:]
            padded = torch.nn.functional.pad(sample, (pad,) * 4)
            top, left = np.random.randint(0, 2 * pad + 1, 2)
            sample = padded[..., top : top + height, left : left + width]
        if self.plan.flip and np.random.rand() < 0.5:
            sample = sample.flip(-1)
        return sample, self.y[index]


class FrameSamples:
    """(frames as numpy, label) items for tonic's DiskCachedDataset."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x.numpy().astype(np.int16), y.numpy()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        return self.x[index], int(self.y[index])


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(epoch: Callable[[], int], device: torch.device, repeats: int) -> float:
    """Best samples/s over `repeats` epochs after one warm-up epoch."""
    epoch()
    sync(device)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        count = epoch()
        sync(device)
        rates.append(count / (time.perf_counter() - start))
    return max(rates)


def resident_epoch(data: DataBundle, plan: Recipe, batch: int, device: torch.device) -> Callable[[], int]:
    x, y = data.train_x.to(device), data.train_y.to(device)
    cpu_generator = torch.Generator().manual_seed(0)
    augment = BatchAugmenter(plan, data.num_classes, device, 0) if plan.active else None

    def epoch() -> int:
        order = torch.randperm(len(x), generator=cpu_generator).to(device)
        checksum = torch.zeros((), device=device)
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            xb, yb = x[idx], y[idx]
            if augment is not None:
                xb, yb = augment(xb, yb)
            checksum += xb[0].flatten()[0]  # keep the batch alive without a host sync
        return len(order)

    return epoch


def loader_epoch(dataset, batch: int, workers: int, device: torch.device, collate=None) -> Callable[[], int]:
    loader = DataLoader(
        dataset,
        batch_size=batch,
        shuffle=True,
        num_workers=workers,
        collate_fn=collate,
        pin_memory=device.type == "cuda",
        persistent_workers=workers > 0,
    )

    def epoch() -> int:
        count = 0
        for xb, yb in loader:
            xb, yb = xb.to(device, non_blocking=True).float(), yb.to(device, non_blocking=True)
            count += len(xb)
        return count

    return epoch


def write_cifar_fixture(root: Path, per_batch: int) -> None:
    """The official python-pickle layout (5 training batches + test_batch) with random pixels."""
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
        }
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file)


def cases(args: argparse.Namespace, tmp: Path) -> list[tuple[str, DataBundle, Recipe]]:
    write_cifar_fixture(tmp / "cifar", args.cifar_fixture // 5)
    full = args.full or args.device == "cuda"
    synthetic_n = 50_000 if full else args.synthetic
    return [
        ("digits 8x8", load_dataset({"dataset": "digits"}), Recipe()),
        (
            f"cifar10 fixture ({args.cifar_fixture})",
            load_dataset({"dataset": "cifar10"}, tmp / "cifar"),
            Recipe(crop_padding=4, flip=True),
        ),
        (
            f"cifar10-size synthetic ({synthetic_n})",
            load_dataset({"dataset": "synthetic", "synthetic.train_samples": synthetic_n, "synthetic.val_samples": 1}),
            Recipe(crop_padding=4, flip=True),
        ),
        ("neuro_digits T=4 30x30", load_dataset({"dataset": "neuro_digits", "timesteps": 4}), Recipe()),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--workers", default="0,2", help="DataLoader worker counts to compare, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cifar-fixture", type=int, default=2000, help="training images in the pickle fixture")
    parser.add_argument("--synthetic", type=int, default=10_000, help="synthetic CIFAR-size samples without --full")
    parser.add_argument("--full", action="store_true", help="50000 synthetic CIFAR-size samples")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(
        "cuda" if args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available()) else "cpu"
    )
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, plan in cases(args, Path(tmp)):
            row = {
                "case": name,
                "samples": len(data.train_x),
                "device": device.type,
                "resident": timed(resident_epoch(data, plan, args.batch, device), device, args.repeats),
            }
            for count in workers:
                if data.kind == "event":
                    import tonic

                    cached = tonic.DiskCachedDataset(
                        FrameSamples(data.train_x, data.train_y),
                        cache_path=str(Path(tmp) / f"disk-{name[:5]}"),
                        transform=torch.from_numpy,
                    )
                    epoch = loader_epoch(cached, args.batch, count, device)
                else:
                    epoch = loader_epoch(AugmentedSamples(data.train_x, data.train_y, plan), args.batch, count, device)
                row[f"loader_w{count}"] = timed(epoch, device, args.repeats)
            row["speed-up"] = row["resident"] / max(row[f"loader_w{c}"] for c in workers)
            rows.append(row)
            if not args.json:
                print(
                    " | ".join(
                        f"{k}={v:,.0f}"
                        if isinstance(v, float) and k != "speed-up"
                        else f"{k}={v:.1f}x"
                        if k == "speed-up"
                        else f"{k}={v}"
                        for k, v in row.items()
                    ),
                    flush=True,
                )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        header = ["case", "samples", "device", "resident"] + [f"loader_w{c}" for c in workers] + ["speed-up"]
        print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for row in rows:
            cells = [row["case"], str(row["samples"]), row["device"], f"{row['resident']:,.0f}"]
            cells += [f"{row[f'loader_w{c}']:,.0f}" for c in workers] + [f"{row['speed-up']:.1f}x"]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
