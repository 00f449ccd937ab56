"""CIFAR-10/100 from the python-pickle format: the .tar.gz as downloaded and its extracted folder."""

import pickle
import tarfile

import numpy as np
import pytest
import torch

from spikesweep.workers.data import DatasetMissing, load_dataset, prepare_dataset


def write_batches(folder, names, per_batch, label_keys, num_classes, seed):
    """Pickle batches in the official layout: b"data" uint8 [n, 3072] (R, G, B planes, row-major), labels lists."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    written = {}
    for name in names:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, num_classes, per_batch).tolist()
        batch = {b"batch_label": name.encode(), b"data": data, b"filenames": [b"x.png"] * per_batch}
        for key in label_keys:
            batch[key] = labels
        with open(folder / name, "wb") as file:
            pickle.dump(batch, file, protocol=2)
        written[name] = (data, labels)
    return written


def make_cifar10(root):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    return write_batches(root / "cifar-10-batches-py", names, 4, [b"labels"], 10, 0)


def make_cifar100(root):
    return write_batches(root / "cifar-100-python", ["train", "test"], 12, [b"fine_labels", b"coarse_labels"], 100, 1)


def archive(root, folder, name):
    with tarfile.open(root / name, "w:gz") as tar:
        tar.add(root / folder, arcname=folder)


def test_cifar10_extracted_folder_and_archive_give_the_same_tensors(tmp_path):
    written = make_cifar10(tmp_path / "folder")
    bundle = load_dataset({"dataset": "cifar10"}, tmp_path / "folder")
    assert bundle.train_x.shape == (20, 3, 32, 32) and bundle.val_x.shape == (4, 3, 32, 32)
    assert bundle.kind == "static" and bundle.num_classes == 10 and bundle.input_shape == (3, 32, 32)
    train_labels = sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert bundle.train_y.tolist() == train_labels and bundle.val_y.tolist() == written["test_batch"][1]
    # per-channel normalisation with the training split's statistics
    assert torch.allclose(bundle.train_x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(bundle.train_x.std(dim=(0, 2, 3), unbiased=False), torch.ones(3), atol=1e-5)
    # pixel layout: row = 1024 red, 1024 green, 1024 blue values, each row-major 32x32
    pixels = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)]).astype(np.float32) / 255
    mean = pixels.reshape(20, 3, 1024).mean(axis=(0, 2))
    std = pixels.reshape(20, 3, 1024).std(axis=(0, 2))
    row = written["data_batch_2"][0][1]  # sample 5 overall
    expected = (row[1024 + 3 * 32 + 7] / 255 - mean[1]) / std[1]
    assert bundle.train_x[5, 1, 3, 7].item() == pytest.approx(expected, abs=1e-5)
    test_row = written["test_batch"][0][3]
    assert bundle.val_x[3, 2, 31, 0].item() == pytest.approx(
        (test_row[2048 + 31 * 32] / 255 - mean[2]) / std[2], abs=1e-5
    )

    archive(tmp_path / "folder", "cifar-10-batches-py", "cifar-10-python.tar.gz")
    (tmp_path / "tar").mkdir()
    (tmp_path / "folder" / "cifar-10-python.tar.gz").rename(tmp_path / "tar" / "cifar-10-python.tar.gz")
    packed = load_dataset({"dataset": "cifar10"}, tmp_path / "tar")
    assert torch.equal(packed.train_x, bundle.train_x) and torch.equal(packed.val_y, bundle.val_y)


def test_cifar100_reads_fine_labels(tmp_path):
    written = make_cifar100(tmp_path)
    archive(tmp_path, "cifar-100-python", "cifar-100-python.tar.gz")
    bundle = load_dataset({"dataset": "cifar100"}, tmp_path)
    assert bundle.num_classes == 100 and bundle.train_x.shape == (12, 3, 32, 32) and len(bundle.val_y) == 12
    assert bundle.train_y.tolist() == written["train"][1] and bundle.val_y.tolist() == written["test"][1]


def test_missing_and_partial_cifar_say_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("SPIKESWEEP_DATA", raising=False)
    with pytest.raises(DatasetMissing, match="cifar-10-python.tar.gz") as error:
        prepare_dataset({"dataset": "cifar10"}, tmp_path)
    assert "cifar-10-batches-py" in str(error.value) and "https://www.cs.toronto.edu/~kriz/" in str(error.value)
    with pytest.raises(DatasetMissing, match="SPIKESWEEP_DATA"):
        prepare_dataset({"dataset": "cifar100"}, None)
    make_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DatasetMissing, match=r"incomplete, missing .*cifar-10-batches-py/data_batch_3\. "):
        load_dataset({"dataset": "cifar10"}, tmp_path)
    with pytest.raises(DatasetMissing, match=r"cifar-10-batches-py/data_batch_3\. Expected layout"):
        prepare_dataset({"dataset": "cifar10"}, tmp_path)
    make_cifar100(tmp_path / "c")
    (tmp_path / "c" / "cifar-100-python" / "test").unlink()
    archive(tmp_path / "c", "cifar-100-python", "cifar-100-python.tar.gz")
    import shutil

    shutil.rmtree(tmp_path / "c" / "cifar-100-python")
    with pytest.raises(DatasetMissing, match=r"missing .*cifar-100-python.tar.gz: cifar-100-python/test\. "):
        prepare_dataset({"dataset": "cifar100"}, tmp_path / "c")
    with pytest.raises(DatasetMissing, match=r"missing .*cifar-100-python.tar.gz: cifar-100-python/test\. "):
        load_dataset({"dataset": "cifar100"}, tmp_path / "c")
