"""The three stores and the home that holds them: the registry (SQLAlchemy), MLflow and Optuna adapters."""
from .home import Home, get_home
from .registry import Registry, Study, Trial, load_resolved_study

__all__ = ["Home", "Registry", "Study", "Trial", "get_home", "load_resolved_study"]
