"""One registry per kind of plug-in. Plug-in modules register themselves; `load_plugins` imports them all."""
from __future__ import annotations

import importlib
import pkgutil

from .registry import Registry

NEURONS: Registry = Registry("neuron")
BACKBONES: Registry = Registry("backbone")
ATTENTIONS: Registry = Registry("attention module")
DATASETS: Registry = Registry("dataset")
ENERGY_PRESETS: Registry = Registry("energy preset")

PLUGIN_PACKAGES = ("neurons", "backbones", "attention", "data", "energy")
_loaded = False


def load_plugins() -> None:
    """Import every module of the plug-in packages so that their registrations and knobs exist."""
    global _loaded
    if _loaded:
        return
    for package_name in PLUGIN_PACKAGES:
        package = importlib.import_module(f"{__package__}.{package_name}")
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{info.name}")
    _loaded = True
