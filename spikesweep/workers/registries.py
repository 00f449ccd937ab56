"""One typed registry per kind of plug-in. Plug-in modules register themselves; `load_plugins` imports them all."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .plugin_registry import PluginRegistry

if TYPE_CHECKING:
    from torch import nn

    from .attention.base import Attention, NeuronFactory
    from .data.base import DatasetSpec
    from .energy.presets import EnergyPreset
    from .model import ModelParts

    BackboneBuilder = Callable[[ModelParts, tuple[int, ...], int], nn.Module]

NEURONS: PluginRegistry[NeuronFactory] = PluginRegistry("neuron", selector="neuron")
BACKBONES: PluginRegistry[BackboneBuilder] = PluginRegistry("backbone", selector="backbone")
ATTENTIONS: PluginRegistry[Attention] = PluginRegistry("attention module", selector="attention")
DATASETS: PluginRegistry[DatasetSpec] = PluginRegistry("dataset", selector="dataset")
ENERGY_PRESETS: PluginRegistry[EnergyPreset] = PluginRegistry("energy preset", selector="energy.preset")

PLUGIN_PACKAGES = ("neurons", "backbones", "attention", "data", "energy")
# Modules that declare knobs and register plug-ins without importing torch: every `*_schema` module of the
# plug-in packages, and these. They make the whole knob schema; the torch-side modules load on first use.
TORCH_FREE_DECLARATIONS = ("energy.presets",)
_loaded = False
_declared = False


def _plugin_modules(package_name: str) -> list[str]:
    package = importlib.import_module(f"{__package__}.{package_name}")
    return [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__) if info.name[0] != "_"]


def load_declarations() -> None:
    """Import the torch-free declaration modules: every knob, check and plug-in name exists afterwards."""
    global _declared
    if _declared:
        return
    for package_name in PLUGIN_PACKAGES:
        for module in _plugin_modules(package_name):
            if module.endswith("_schema"):
                importlib.import_module(module)
    for module in TORCH_FREE_DECLARATIONS:
        importlib.import_module(f"{__package__}.{module}")
    _declared = True


def load_plugins() -> None:
    """Import every module of the plug-in packages (torch included): the declarations and the plug-ins' code."""
    global _loaded
    if _loaded:
        return
    load_declarations()
    for package_name in PLUGIN_PACKAGES:
        for module in _plugin_modules(package_name):
            importlib.import_module(module)
    _loaded = True


def leave_one_out_switches(attention: str | None = None) -> dict[str, dict[str, Any]]:
    """Submodule -> the knob changes that switch it off, as the attention module `attention` registered them.

    Without a name: the switches of every registered attention module.
    """
    load_declarations()
    entries = [ATTENTIONS.registration(attention)] if attention is not None else list(ATTENTIONS.registrations())
    return {sub: dict(changes) for entry in entries for sub, changes in entry.leave_one_out.items()}
