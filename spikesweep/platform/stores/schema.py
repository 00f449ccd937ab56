"""First use of the stores: each schema is created once, under a lock, before any study row is written.

Several studies started at once on a new home (or a fresh database) would otherwise race in MLflow's and
Optuna's schema creation ("table datasets already exists"). SQLite stores are created under a file lock beside
the database file; PostgreSQL stores under a session advisory lock in that database. A tracking server creates
its own schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from .locks import advisory_lock, file_lock
from .uris import is_http, is_sqlite


def _create_registry(uri: str) -> None:
    from .registry import Registry

    Registry(uri).close()  # brings the schema to the newest migration


def _create_optuna(uri: str) -> None:
    from .optuna_store import storage

    storage(uri).engine.dispose()


def _create_mlflow(uri: str) -> None:
    from .tracking import _client

    _client(uri).search_experiments(max_results=1)  # a SQL tracking store creates and migrates its schema


CREATORS: dict[str, Callable[[str], None]] = {
    "registry": _create_registry,
    "optuna": _create_optuna,
    "mlflow": _create_mlflow,
}


def sqlite_path(uri: str) -> Path:
    """The database file of a `sqlite:///` URI."""
    from sqlalchemy.engine import make_url

    return Path(make_url(uri).database or "")


@contextmanager
def _postgres_lock(uri: str, store: str) -> Iterator[None]:
    from sqlalchemy import create_engine

    engine = create_engine(uri)
    try:
        with advisory_lock(engine, f"spikesweep-schema-{store}"):
            yield
    finally:
        engine.dispose()


def schema_lock(store: str, uri: str) -> AbstractContextManager[None]:
    """The lock that serialises schema creation of one store."""
    if is_sqlite(uri):
        path = sqlite_path(uri)
        return file_lock(path.with_name(path.name + ".lock"))
    return _postgres_lock(uri, store)


def init_stores(uris: Mapping[str, str]) -> None:
    """Create the schema of every store that needs it (registry, optuna, mlflow), one creator at a time."""
    for store, uri in uris.items():
        if is_http(uri):
            continue
        with schema_lock(store, uri):
            CREATORS[store](uri)
