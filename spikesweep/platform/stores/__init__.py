"""The three stores and the home that holds them: the registry (SQLAlchemy), MLflow and Optuna adapters."""

from .errors import InvalidTransition, RegistryError, SchemaMismatch, StudyExists, StudyNotFound, TrialNotFound
from .home import Home, get_home
from .registry import Registry, Study, Trial, load_resolved_study, open_registry

__all__ = [
    "Home",
    "InvalidTransition",
    "Registry",
    "RegistryError",
    "SchemaMismatch",
    "Study",
    "StudyExists",
    "StudyNotFound",
    "Trial",
    "TrialNotFound",
    "get_home",
    "load_resolved_study",
    "open_registry",
]
