"""Datasets: each module registers a loader in `DATASETS` declaring shape, classes and kind."""

from .base import DataBundle, DatasetMissing, DatasetSpec, load_dataset, prepare_dataset, resolve_data_dir

__all__ = ["DataBundle", "DatasetMissing", "DatasetSpec", "load_dataset", "prepare_dataset", "resolve_data_dir"]
