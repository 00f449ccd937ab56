"""Everything that runs inside a trial. Never imports ray, optuna, mlflow or sqlalchemy.

Importing this package declares every knob and registers every plug-in (neurons, backbones, attention
modules, datasets, energy presets), so `KNOBS` is complete once it is imported.
"""
from . import core_knobs  # noqa: F401  (declares the core knobs)
from .knobs import KNOBS, Config, Knob, KnobError, check_config, resolve
from .registries import (ATTENTIONS, BACKBONES, DATASETS, ENERGY_PRESETS, NEURONS, leave_one_out_switches,
                         load_plugins)
from .registry import Registration, Registry

load_plugins()

from .model import build_model  # noqa: E402
from .trial import TrialDiverged, TrialEnv, run_trial  # noqa: E402

__all__ = ["KNOBS", "Knob", "KnobError", "Config", "resolve", "check_config", "build_model", "run_trial", "TrialEnv",
           "TrialDiverged", "ATTENTIONS", "BACKBONES", "DATASETS", "ENERGY_PRESETS", "NEURONS", "Registry",
           "Registration", "leave_one_out_switches"]
