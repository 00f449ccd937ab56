"""Everything that runs inside a trial. Never imports ray, optuna, mlflow or sqlalchemy.

Importing this package declares every knob and registers every plug-in name (neurons, backbones, attention
modules, datasets, energy presets) from torch-free declaration modules, so `KNOBS` is complete once it is
imported and validating a study needs no torch. The trial-side names (`build_model`, `run_trial`, ...) import
torch and the plug-ins' code on first use. This module is the face the control plane uses: everything
`spikesweep.platform` needs is exported here (an import test keeps it so).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import core_knobs  # noqa: F401  (declares the core knobs)
from .checkpoint_schema import WEIGHTS_FILE
from .knobs import KNOBS, Config, Knob, KnobError, check_config, relevant, resolve, unknown_knob_message, unused
from .plugin_registry import Lazy, PluginRegistry, Registration
from .registries import (
    ATTENTIONS,
    BACKBONES,
    DATASETS,
    ENERGY_PRESETS,
    NEURONS,
    leave_one_out_switches,
    load_declarations,
    load_plugins,
)

load_declarations()

if TYPE_CHECKING:
    from .data import DatasetMissing, prepare_dataset
    from .energy import inspect_energy, rescore
    from .model import build_model
    from .probe import probe_trial
    from .summary import summarize
    from .trial import TrialDiverged, TrialEnv, evaluate_trial, run_trial

# name -> the module that defines it; imported (with every plug-in's code) when the name is first used
_TRIAL_SIDE = {
    "DatasetMissing": ".data",
    "prepare_dataset": ".data",
    "inspect_energy": ".energy",
    "rescore": ".energy",
    "build_model": ".model",
    "probe_trial": ".probe",
    "summarize": ".summary",
    "TrialDiverged": ".trial",
    "TrialEnv": ".trial",
    "run_trial": ".trial",
    "evaluate_trial": ".trial",
}


def __getattr__(name: str) -> Any:
    if name in _TRIAL_SIDE:
        if _TRIAL_SIDE[name] != ".data":  # DatasetMissing is caught by the control plane: no torch needed for it
            load_plugins()
        return getattr(importlib.import_module(_TRIAL_SIDE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ATTENTIONS",
    "BACKBONES",
    "DATASETS",
    "ENERGY_PRESETS",
    "KNOBS",
    "NEURONS",
    "WEIGHTS_FILE",
    "Config",
    "DatasetMissing",
    "Knob",
    "KnobError",
    "Lazy",
    "PluginRegistry",
    "Registration",
    "TrialDiverged",
    "TrialEnv",
    "build_model",
    "check_config",
    "evaluate_trial",
    "inspect_energy",
    "leave_one_out_switches",
    "prepare_dataset",
    "probe_trial",
    "relevant",
    "rescore",
    "resolve",
    "run_trial",
    "summarize",
    "unknown_knob_message",
    "unused",
]
