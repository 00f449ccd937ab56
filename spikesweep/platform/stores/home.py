"""The spikesweep home: where the three stores, Ray's results and the data cache live.

`--home DIR` (the CLI exports it as SPIKESWEEP_HOME) or `SPIKESWEEP_HOME`, default `~/.spikesweep`. Each store URL
can be pointed elsewhere (e.g. PostgreSQL) with SPIKESWEEP_MLFLOW_URI, SPIKESWEEP_OPTUNA_URI, SPIKESWEEP_REGISTRY_URI
(plain `postgresql://` runs on psycopg2: see `uris.py`). Print these URIs only through `uris.redact`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .uris import normalize

DEFAULT_HOME = "~/.spikesweep"


@dataclass(frozen=True)
class Home:
    """Paths and store URLs of one spikesweep home."""

    root: Path

    @property
    def mlflow_uri(self) -> str:
        return normalize(os.environ.get("SPIKESWEEP_MLFLOW_URI") or f"sqlite:///{self.root / 'mlflow.db'}")

    @property
    def optuna_uri(self) -> str:
        return normalize(os.environ.get("SPIKESWEEP_OPTUNA_URI") or f"sqlite:///{self.root / 'optuna.db'}")

    @property
    def registry_uri(self) -> str:
        return normalize(os.environ.get("SPIKESWEEP_REGISTRY_URI") or f"sqlite:///{self.root / 'registry.db'}")

    @property
    def artifacts(self) -> Path:
        """Where MLflow artifacts of experiments created from this home go."""
        return self.root / "mlartifacts"

    @property
    def ray_results(self) -> Path:
        return self.root / "ray_results"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    @property
    def ray_token(self) -> Path:
        """The token of the private local Ray (token authentication), mode 600."""
        return self.root / "ray_auth_token"

    def where(self) -> str:
        """Where the registry lives, for messages: the home, or the shared registry's redacted URI."""
        from .uris import redact

        shared = os.environ.get("SPIKESWEEP_REGISTRY_URI")
        return f"the registry {redact(shared)}" if shared else str(self.root)

    def registry_exists(self) -> bool:
        """Whether the registry has been written (an overridden, non-SQLite registry always counts as existing)."""
        if os.environ.get("SPIKESWEEP_REGISTRY_URI"):
            return True
        return (self.root / "registry.db").exists()

    def create(self) -> None:
        """Make the home's folders (called only once a study file has passed validation)."""
        for path in (self.root, self.artifacts, self.ray_results, self.cache_dir):
            path.mkdir(parents=True, exist_ok=True)


def get_home(explicit: str | os.PathLike | None = None) -> Home:
    """The home named by `explicit`, else $SPIKESWEEP_HOME, else ~/.spikesweep (absolute, not created)."""
    raw = explicit or os.environ.get("SPIKESWEEP_HOME") or DEFAULT_HOME
    return Home(Path(raw).expanduser().resolve())
