"""N-MNIST, DVS Gesture and CIFAR10-DVS read through the registry from tiny trees in the exact on-disk formats."""

import math
import os
import shutil
import zipfile

import numpy as np
import pytest
import torch

from spikesweep.workers import TrialEnv, run_trial
from spikesweep.workers.data import DatasetMissing, load_dataset, prepare_dataset
from spikesweep.workers.data.base import dataset_spec
from spikesweep.workers.data.events import tonic_dataset
from spikesweep.workers.knobs import resolve

T = 3


def nmnist_record(rng, count, t_max_us=300_000):
    """One N-MNIST .bin file: 5 bytes per event (x, y, p<<7 | t[22:16], t[15:8], t[7:0])."""
    x, y = rng.integers(0, 34, count), rng.integers(0, 34, count)
    p, t = rng.integers(0, 2, count), np.sort(rng.integers(0, t_max_us, count))
    raw = np.empty((count, 5), np.uint8)
    raw[:, 0], raw[:, 1] = x, y
    raw[:, 2] = (p << 7) | ((t >> 16) & 0x7F)
    raw[:, 3], raw[:, 4] = (t >> 8) & 0xFF, t & 0xFF
    return raw.tobytes(), {"x": x, "y": y, "t": t, "p": p}


def make_nmnist(root, per_class=None, events=120):
    per_class = per_class or {"Train": 3, "Test": 2}
    rng = np.random.default_rng(0)
    written = {}
    for split, count in per_class.items():
        (root / "NMNIST").mkdir(parents=True, exist_ok=True)
        for digit in range(10):
            folder = root / "NMNIST" / split / str(digit)
            folder.mkdir(parents=True)
            for i in range(count):
                data, truth = nmnist_record(rng, events)
                (folder / f"{i:05d}.bin").write_bytes(data)
                written[(split, digit, i)] = truth
    return written


def make_dvs_gesture(root):
    rng = np.random.default_rng(1)
    users = {"ibmGestureTrain": [(1, "fluorescent"), (2, "lab")], "ibmGestureTest": [(24, "led")]}
    written = {}
    for split, sessions in users.items():
        for user, lighting in sessions:
            folder = root / "DVSGesture" / split / f"user{user:02d}_{lighting}"
            folder.mkdir(parents=True)
            for label in range(11):
                events = np.zeros((150, 4), np.int64)  # x, y, p, t[ms]
                events[:, 0], events[:, 1] = rng.integers(0, 128, 150), rng.integers(0, 128, 150)
                events[:, 2], events[:, 3] = rng.integers(0, 2, 150), np.sort(rng.integers(0, 6000, 150))
                np.save(folder / f"{label}.npy", events)
                written[(split, user, label)] = events.copy()
    return written


CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar10_dvs(root, per_class=10, events=100):
    import dv_processing as dv

    rng = np.random.default_rng(2)
    written = {}
    for cls in CLASSES:
        folder = root / "CIFAR10DVS" / cls
        folder.mkdir(parents=True)
        for i in range(per_class):
            config = dv.io.MonoCameraWriter.EventOnlyConfig("DVS128", (128, 128))
            writer = dv.io.MonoCameraWriter(str(folder / f"cifar10_{cls}_{i}.aedat4"), config)
            store = dv.EventStore()
            t = np.sort(rng.integers(1_000_000, 2_000_000, events))
            x, y, p = rng.integers(0, 128, events), rng.integers(0, 128, events), rng.integers(0, 2, events)
            for k in range(events):
                store.push_back(int(t[k]), int(x[k]), int(y[k]), bool(p[k]))
            writer.writeEvents(store)
            del writer
            written[(cls, i)] = {"t": t, "x": x, "y": y, "p": p}
    return written


def expected_frames(events, side, factor=1.0):
    """Frames [T, 2, side, side] computed independently of tonic, with tonic 1.7's ToFrame(n_time_bins) rule:
    T windows of (t_last - t_first) // T µs from t_first, end-exclusive, so the last event always drops out;
    coordinates scaled by `factor` and floored as tonic's Downsample does."""
    t, x, y, p = (np.asarray(events[k]).astype(np.int64) for k in "txyp")
    window = (t[-1] - t[0]) // T
    frames = np.zeros((T, 2, side, side), np.int64)
    for k in range(T):
        inside = (t >= t[0] + k * window) & (t < t[0] + (k + 1) * window)
        np.add.at(frames[k], (p[inside], (y[inside] * factor).astype(int), (x[inside] * factor).astype(int)), 1)
    return frames


def as_counts(frames):
    return frames.numpy().astype(np.int64)


def gesture_events(array):
    return {"x": array[:, 0], "y": array[:, 1], "p": array[:, 2], "t": array[:, 3] * 1000}


def test_nmnist_round_trip_shapes_labels_and_frames(tmp_path):
    import tonic

    written = make_nmnist(tmp_path)
    raw = tonic_dataset(tonic.datasets.NMNIST, tmp_path, False, train=True)
    events, label = raw[0]  # sorted tree: Train/0/00000.bin first
    truth = written[("Train", 0, 0)]
    assert label == 0 and len(events) == 120
    for name in "xytp":
        assert np.array_equal(events[name], truth[name])  # bit-exact: what was written is what tonic reads

    bundle = load_dataset({"dataset": "nmnist", "timesteps": T}, tmp_path)
    assert bundle.kind == "event" and bundle.num_classes == 10 and bundle.input_shape == (2, 34, 34)
    assert bundle.train_x.shape == (30, T, 2, 34, 34) and bundle.val_x.shape == (20, T, 2, 34, 34)
    assert bundle.train_y.tolist() == [d for d in range(10) for _ in range(3)]
    assert bundle.val_y.tolist() == [d for d in range(10) for _ in range(2)]
    assert dataset_spec(resolve({"dataset": "nmnist"})).shape(resolve({})) == bundle.input_shape
    assert np.array_equal(as_counts(bundle.train_x[0]), expected_frames(truth, 34))
    assert 110 <= bundle.train_x[0].sum() < 120  # the last event (and any in the rounding remainder) drops out
    assert np.array_equal(as_counts(bundle.val_x[-1]), expected_frames(written[("Test", 9, 1)], 34))


def test_dvs_gesture_labels_splits_resolution_and_round_trip(tmp_path):
    import tonic

    written = make_dvs_gesture(tmp_path)
    raw = tonic_dataset(tonic.datasets.DVSGesture, tmp_path, False, train=False)
    order = sorted(range(len(raw.data)), key=lambda i: raw.data[i])
    events, label = raw[order[0]]  # user24_led/0.npy
    truth = written[("ibmGestureTest", 24, 0)]
    assert label == 0
    assert np.array_equal(events["x"], truth[:, 0]) and np.array_equal(events["y"], truth[:, 1])
    assert np.array_equal(events["p"], truth[:, 2].astype(bool))
    assert np.array_equal(events["t"], truth[:, 3] * 1000)  # ms on disk, µs in tonic

    bundle = load_dataset({"dataset": "dvs_gesture", "timesteps": T, "dvs_gesture.resolution": 64}, tmp_path)
    assert bundle.train_x.shape == (22, T, 2, 64, 64) and bundle.val_x.shape == (11, T, 2, 64, 64)
    assert bundle.num_classes == 11 and bundle.input_shape == (2, 64, 64)
    # path order: user01_fluorescent/0.npy, 1.npy, 10.npy, 2.npy, ... then user02_lab
    names = sorted(f"{label}.npy" for label in range(11))
    assert bundle.train_y.tolist() == [int(name[:-4]) for name in names] * 2
    assert np.array_equal(as_counts(bundle.val_x[0]), expected_frames(gesture_events(truth), 64, factor=0.5))
    small = load_dataset({"dataset": "dvs_gesture", "timesteps": T, "dvs_gesture.resolution": 48}, tmp_path)
    assert small.train_x.shape[-2:] == (48, 48)
    assert np.array_equal(as_counts(small.val_x[0]), expected_frames(gesture_events(truth), 48, factor=48 / 128))


def test_cifar10_dvs_split_nine_to_one_per_class_and_round_trip(tmp_path):
    import tonic

    written = make_cifar10_dvs(tmp_path)
    raw = tonic_dataset(tonic.datasets.CIFAR10DVS, tmp_path, False)
    index = raw.data.index(str(tmp_path / "CIFAR10DVS" / "bird" / "cifar10_bird_3.aedat4"))
    events, label = raw[index]
    truth = written[("bird", 3)]
    assert label == 2
    for name in "txyp":
        assert np.array_equal(events[name], truth[name].astype(events[name].dtype))

    bundle = load_dataset({"dataset": "cifar10_dvs", "timesteps": T, "cifar10_dvs.resolution": 64}, tmp_path)
    assert bundle.train_x.shape == (90, T, 2, 64, 64) and bundle.val_x.shape == (10, T, 2, 64, 64)
    assert bundle.train_y.tolist() == [c for c in range(10) for _ in range(9)]
    assert bundle.val_y.tolist() == list(range(10))
    held_out = written[("bird", 9)]  # the last file of each class (in name order) validates
    assert np.array_equal(as_counts(bundle.val_x[2]), expected_frames(held_out, 64, factor=0.5))
    assert np.array_equal(as_counts(bundle.train_x[2 * 9 + 3]), expected_frames(truth, 64, factor=0.5))


def test_frame_cache_is_built_once_reused_and_rebuilt_for_a_new_transform(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    make_nmnist(data, {"Train": 2, "Test": 1}, events=60)
    config = {"dataset": "nmnist", "timesteps": T}
    folder = prepare_dataset(config, data, cache)
    stamp = (folder / "train_x.npy").stat().st_mtime_ns
    assert prepare_dataset(config, data, cache) == folder
    assert (folder / "train_x.npy").stat().st_mtime_ns == stamp  # reused, not rewritten
    fresh = load_dataset(config, data)
    for root, _, files in os.walk(data / "NMNIST"):  # trials only read the cache: the source may go away
        for name in files:
            os.remove(os.path.join(root, name))
    cached = load_dataset(config, data, cache)
    assert torch.equal(cached.train_x, fresh.train_x) and torch.equal(cached.val_y, fresh.val_y)
    assert cached.input_shape == (2, 34, 34) and cached.kind == "event"
    with pytest.raises(DatasetMissing):
        load_dataset({**config, "events.denoise_us": 5000}, data, cache)  # no cache for that transform
    make_nmnist(data / "again", {"Train": 2, "Test": 1}, events=60)
    denoised = prepare_dataset({**config, "events.denoise_us": 5000}, data / "again", cache)
    other_t = prepare_dataset({**config, "timesteps": T + 1}, data / "again", cache)
    assert len({folder, denoised, other_t}) == 3
    assert sorted(p.name for p in (cache / "frames").iterdir()) == sorted([folder.name, denoised.name, other_t.name])


def test_a_trial_trains_from_the_prepared_cache_alone(tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    make_nmnist(data, {"Train": 4, "Test": 2}, events=80)
    config = {
        "dataset": "nmnist",
        "timesteps": 2,
        "epochs": 1,
        "optimizer": "adam",
        "lr": 0.01,
        "batch_size": 16,
        "energy.samples": 4,
    }
    prepare_dataset(config, data, cache)
    shutil.rmtree(data / "NMNIST")
    with pytest.raises(DatasetMissing):
        run_trial(config, lambda m: None, TrialEnv(data_dir=data))
    metrics = run_trial(config, lambda m: None, TrialEnv(data_dir=data, cache_dir=cache))
    assert metrics["epoch"] == 1 and 0.0 <= metrics["accuracy"] <= 1.0 and metrics["params"] > 0


def zip_folder(archive, root, folder):
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((root / folder).rglob("*")):
            zipped.write(path, path.relative_to(root))
    shutil.rmtree(root / folder)


def test_downloaded_archives_are_unpacked_offline(tmp_path):
    make_nmnist(tmp_path / "plain", {"Train": 1, "Test": 1}, events=40)
    make_nmnist(tmp_path / "zipped", {"Train": 1, "Test": 1}, events=40)
    root = tmp_path / "zipped" / "NMNIST"
    zip_folder(root / "train.zip", root, "Train")
    zip_folder(root / "test.zip", root, "Test")
    assert not (root / "Train").exists()
    unpacked = load_dataset({"dataset": "nmnist", "timesteps": 2}, tmp_path / "zipped")
    plain = load_dataset({"dataset": "nmnist", "timesteps": 2}, tmp_path / "plain")
    assert torch.equal(unpacked.train_x, plain.train_x)

    make_cifar10_dvs(tmp_path / "few", per_class=2, events=20)
    with pytest.raises(DatasetMissing, match="too few recordings for a 9:1 split"):
        load_dataset({"dataset": "cifar10_dvs", "timesteps": 2}, tmp_path / "few")
    make_cifar10_dvs(tmp_path / "dvs", per_class=10, events=20)
    root = tmp_path / "dvs" / "CIFAR10DVS"
    for cls in CLASSES:  # tonic's CIFAR10DVS.zip holds one zip per class
        zip_folder(root / f"{cls}.zip", root, cls)
    with zipfile.ZipFile(root / "CIFAR10DVS.zip", "w") as outer:
        for cls in CLASSES:
            outer.write(root / f"{cls}.zip", f"{cls}.zip")
            (root / f"{cls}.zip").unlink()
    bundle = load_dataset({"dataset": "cifar10_dvs", "timesteps": 2, "cifar10_dvs.resolution": 48}, tmp_path / "dvs")
    assert bundle.train_y.tolist() == [c for c in range(10) for _ in range(9)]
    assert bundle.val_y.tolist() == list(range(10))
    assert bundle.train_x.dtype == torch.float32


def test_missing_directory_errors_say_where_the_data_goes(tmp_path, monkeypatch):
    monkeypatch.delenv("SPIKESWEEP_DATA", raising=False)
    with pytest.raises(DatasetMissing, match="SPIKESWEEP_DATA") as error:
        load_dataset({"dataset": "nmnist"}, None)
    assert "NMNIST/Train" in str(error.value)
    with pytest.raises(DatasetMissing, match="does not exist") as error:
        load_dataset({"dataset": "cifar10_dvs"}, tmp_path / "nowhere")
    assert "CIFAR10DVS/<class>/*.aedat4" in str(error.value) and "data.download" in str(error.value)
    with pytest.raises(DatasetMissing, match=r"DVSGesture is missing"):
        load_dataset({"dataset": "dvs_gesture"}, tmp_path)


def test_partial_trees_name_what_is_missing(tmp_path):
    make_nmnist(tmp_path, {"Train": 1})
    with pytest.raises(DatasetMissing, match=r"missing folders .*: Test/0, Test/1, .*Test/9"):
        prepare_dataset({"dataset": "nmnist"}, tmp_path)
    make_nmnist(tmp_path / "b", {"Train": 1, "Test": 1})
    for f in (tmp_path / "b" / "NMNIST" / "Test" / "7").iterdir():
        f.unlink()
    with pytest.raises(DatasetMissing, match=r"without \.bin files: Test/7"):
        load_dataset({"dataset": "nmnist"}, tmp_path / "b")
    make_dvs_gesture(tmp_path / "g")
    for path in (tmp_path / "g" / "DVSGesture" / "ibmGestureTest").rglob("10.npy"):
        path.unlink()
    with pytest.raises(DatasetMissing, match=r"ibmGestureTest has no recording of labels \[10\]"):
        prepare_dataset({"dataset": "dvs_gesture"}, tmp_path / "g")


def test_cifar10_dvs_missing_class_is_named(tmp_path):
    (tmp_path / "CIFAR10DVS" / "airplane").mkdir(parents=True)
    with pytest.raises(DatasetMissing, match=r"missing folders .*: automobile, bird, .*truck") as error:
        prepare_dataset({"dataset": "cifar10_dvs"}, tmp_path)
    assert "without .aedat4 files: airplane" in str(error.value)


def test_ceil_nine_tenths_of_each_class_train():
    from spikesweep.workers.data.cifar10_dvs import split_per_class

    train, val = split_per_class([0] * 11 + [1] * 3, 0.9)
    assert train == list(range(10)) + [11, 12, 13] and val == [10]
    assert math.ceil(3 * 0.9) == 3
