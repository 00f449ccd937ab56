"""Datasets: each module registers a loader in `DATASETS` declaring shape, classes and kind."""
from .base import DataBundle, DatasetSpec, load_dataset

__all__ = ["DataBundle", "DatasetSpec", "load_dataset"]
