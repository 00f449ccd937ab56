"""The result cache's key and the view of it a trial reads (no database here: the trainable imports this).

Key = sha256 of canonical JSON of: the knobs the configuration reads (`relevant`; unused knobs dropped), values
normalised (ints and floats by value, so 1 and 1.0 are one key; booleans and strings as they are), the seed, the
data fingerprint of the trial's dataset, the energy-model version and the trial-code fingerprint (sha256 of every
source file under `workers/` plus the torch version). The epoch budget is not in the key when the learning rate does
not depend on it (`schedule: constant`): a cached curve of E epochs then serves any trial of at most E epochs, and a
longer trial continues from the cached trial's final checkpoint (`CacheView.continuation`). Under a cosine schedule
the curve of E epochs is not the start of a longer one, so there the budget is part of the key.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ...workers import relevant

ENERGY_MODEL_VERSION = "1"  # bump when energy figures change meaning without a change under workers/ (presets data)
BUDGET_KNOBS = ("epochs",)
# knobs that change how often a trial saves its state, never what it learns or measures
NO_RESULT_KNOBS = frozenset({"checkpoint.every_epochs"})
MAX_DATA_FILES = 100_000


def normalise(value: Any) -> Any:
    """Schema-normalised value: numbers by value (float repr), lists element-wise, the rest as is."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        return repr(number) if math.isfinite(number) else str(number)
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): normalise(v) for k, v in sorted(value.items())}
    return str(value)


@cache
def code_fingerprint() -> str:
    """sha256 over the sources under workers/ (paths and contents) and the torch version."""
    import torch

    root = Path(__file__).resolve().parents[2] / "workers"
    digest = hashlib.sha256(torch.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def data_dir_digest(data_dir: str | None) -> str:
    """sha256 of the relative paths and sizes of the files under a data directory ("" without one)."""
    if not data_dir:
        return ""
    digest = hashlib.sha256()
    root = Path(data_dir).expanduser()
    for count, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        if count >= MAX_DATA_FILES:
            break
        digest.update(f"{path.relative_to(root)}:{path.stat().st_size}".encode())
    return digest.hexdigest()


def data_fingerprint(dataset: str, dir_digest: str) -> str:
    """The data a trial reads: the dataset name, scikit-learn's version (the built-in digits sets come from it)
    and the data directory's digest (`data_dir_digest`)."""
    import sklearn

    return hashlib.sha256(f"{dataset}|sklearn {sklearn.__version__}|{dir_digest}".encode()).hexdigest()


def trial_key(config: Mapping[str, Any], data_print: str, code_print: str) -> str:
    """The cache key of a resolved configuration (see the module docstring)."""
    budget_free = config.get("schedule") == "constant"  # else the learning rate at each epoch depends on the budget
    knobs = {
        k: normalise(v)
        for k, v in sorted(relevant(config).items())
        if k not in NO_RESULT_KNOBS and not (budget_free and k in BUDGET_KNOBS)
    }
    document = {
        "knobs": knobs,
        "seed": int(config["seed"]),
        "data": data_print,
        "energy_model": ENERGY_MODEL_VERSION,
        "code": code_print,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def serves(cached_epochs: int, config: Mapping[str, Any]) -> bool:
    """Whether a cached curve of `cached_epochs` answers a trial of `config["epochs"]` epochs."""
    wanted = int(config["epochs"])
    return cached_epochs == wanted or (cached_epochs > wanted and config.get("schedule") == "constant")


def checkpoint_reachable(path: str) -> bool:
    """Whether a checkpoint folder (a local path, or a URI of Ray's storage such as `s3://...`) still exists here."""
    if "://" not in path:
        return Path(path).is_dir()
    try:
        import pyarrow.fs

        filesystem, inner = pyarrow.fs.FileSystem.from_uri(path)
        return bool(filesystem.get_file_info(inner).type == pyarrow.fs.FileType.Directory)
    except Exception:  # an unknown scheme or an unreachable store: not reachable
        return False


def continues(cached_epochs: int, config: Mapping[str, Any]) -> bool:
    """Whether a cached curve of `cached_epochs` is the start of a trial of `config["epochs"]` epochs (constant
    learning rate only: under cosine the budget is in the key, so a shorter curve never shares a longer one's key)."""
    return 0 < cached_epochs < int(config["epochs"]) and config.get("schedule") == "constant"


@dataclass(frozen=True)
class Continuation:
    """A trial that starts where a cached shorter one ended: report `history` (cached), then train from `checkpoint`."""

    key: str
    origin: str
    history: list[dict[str, Any]]
    checkpoint: str


@dataclass(frozen=True)
class CacheView:
    """What a study may reuse: cached curves by key, and the fingerprints to key its trials' configurations.

    `curves` maps key -> (origin label, cached epochs, per-epoch metrics); `checkpoints` maps key -> the cached
    trial's final checkpoint folder where it is still reachable. Picklable (sent to Tune's trainables).
    """

    code_print: str
    data_prints: dict[str, str]
    curves: dict[str, tuple[str, int, list[dict[str, Any]]]] = field(default_factory=dict)
    checkpoints: dict[str, str] = field(default_factory=dict)

    def key(self, config: Mapping[str, Any]) -> str:
        return trial_key(config, self.data_prints[config["dataset"]], self.code_print)

    def lookup(self, config: Mapping[str, Any]) -> tuple[str, str, list[dict[str, Any]]] | None:
        """(key, origin, the first `epochs` per-epoch results) of a cached result serving `config`, or None."""
        key = self.key(config)
        found = self.curves.get(key)
        if found is None or not serves(found[1], config):
            return None
        origin, _, history = found
        return key, origin, history[: int(config["epochs"])]

    def continuation(self, config: Mapping[str, Any]) -> Continuation | None:
        """The cached shorter run `config` continues from (its curve and final checkpoint), or None."""
        key = self.key(config)
        found, checkpoint = self.curves.get(key), self.checkpoints.get(key)
        if found is None or checkpoint is None or not continues(found[1], config):
            return None
        origin, epochs, history = found
        return Continuation(key, origin, history[:epochs], checkpoint)
