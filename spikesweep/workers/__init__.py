"""Everything that runs inside a trial. Never imports ray, optuna, mlflow or sqlalchemy.

Importing this package declares every knob and registers every plug-in (neurons, backbones, attention
modules, datasets, energy presets), so `KNOBS` is complete once it is imported. This module is the face the
control plane uses: everything `spikesweep.platform` needs is exported here (an import test keeps it so).
"""

from . import core_knobs  # noqa: F401  (declares the core knobs)
from .knobs import KNOBS, Config, Knob, KnobError, check_config, relevant, resolve, unknown_knob_message, unused
from .plugin_registry import PluginRegistry, Registration
from .registries import ATTENTIONS, BACKBONES, DATASETS, ENERGY_PRESETS, NEURONS, leave_one_out_switches, load_plugins

load_plugins()

from .checkpoint import WEIGHTS_FILE  # noqa: E402
from .data import DatasetMissing, prepare_dataset  # noqa: E402
from .energy import inspect_energy, rescore  # noqa: E402
from .model import build_model  # noqa: E402
from .probe import probe_trial  # noqa: E402
from .summary import summarize  # noqa: E402
from .trial import TrialDiverged, TrialEnv, evaluate_trial, run_trial  # noqa: E402

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
