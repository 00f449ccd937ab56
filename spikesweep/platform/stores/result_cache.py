"""The result cache of a home: COMPLETE trials' per-epoch results, shared by every study, in the registry database.

Why the registry database and not a file of its own: the cache must live wherever the registry lives (SQLite in
the home, or the PostgreSQL server of a cluster home), its links join registry trials, and the driver, the one
writer of the registry, is its one writer too. Its tables come with the migration 0003_cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from .cache_models import CacheEntryRow, CacheLinkRow
from .registry import Registry


@dataclass(frozen=True)
class CachedResult:
    """A cached trial: where it came from, how many epochs its curve holds, its final metrics, the curve and where
    its final checkpoint lies (if one was kept)."""

    key: str
    study: str
    ray_trial_id: str
    mlflow_run_id: str | None
    epochs: int
    config: dict[str, Any]
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    checkpoint: str | None = None  # the final checkpoint folder (Ray storage), from which a longer trial continues

    @property
    def origin(self) -> str:
        """`study/trial` of the run that trained it."""
        return f"{self.study}/{self.ray_trial_id}"


def _result(row: CacheEntryRow) -> CachedResult:
    return CachedResult(
        row.key,
        row.study,
        row.ray_trial_id,
        row.mlflow_run_id,
        row.epochs,
        dict(row.config),
        dict(row.metrics),
        list(row.history),
        row.checkpoint_path,
    )


class ResultCache:
    """Read and write the cache tables through a registry's engine (opened writable for writes)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._sessions = sessionmaker(registry.engine, expire_on_commit=False)

    def put(self, result: CachedResult) -> bool:
        """Store a COMPLETE trial's result; an entry with a longer (or equal) curve under the same key is kept."""
        if self.registry.read_only:
            raise PermissionError("the registry was opened read-only")
        with self._sessions.begin() as session:
            row = session.get(CacheEntryRow, result.key)
            if row is not None and row.epochs >= result.epochs:
                return False
            if row is not None:
                session.delete(row)
                session.flush()
            session.add(
                CacheEntryRow(
                    key=result.key,
                    study=result.study,
                    ray_trial_id=result.ray_trial_id,
                    mlflow_run_id=result.mlflow_run_id,
                    epochs=result.epochs,
                    config=result.config,
                    metrics=result.metrics,
                    history=result.history,
                    checkpoint_path=result.checkpoint,
                )
            )
        return True

    def entries(self) -> dict[str, CachedResult]:
        """Every cached result by key."""
        with self._sessions() as session:
            return {row.key: _result(row) for row in session.scalars(select(CacheEntryRow))}

    def link(self, study: str, ray_trial_id: str, origin: CachedResult) -> None:
        """Record that `study`'s trial reused `origin` instead of training."""
        with self._sessions.begin() as session:
            session.add(
                CacheLinkRow(
                    study=study,
                    ray_trial_id=ray_trial_id,
                    key=origin.key,
                    origin_study=origin.study,
                    origin_trial_id=origin.ray_trial_id,
                    origin_run_id=origin.mlflow_run_id,
                )
            )

    def links(self, study: str) -> dict[str, str]:
        """Ray trial id -> `origin_study/origin_trial` for every trial of `study` served from the cache."""
        with self._sessions() as session:
            rows = session.scalars(select(CacheLinkRow).where(CacheLinkRow.study == study))
            return {row.ray_trial_id: f"{row.origin_study}/{row.origin_trial_id}" for row in rows}

    def clear(self, study: str | None = None) -> int:
        """Drop every entry (or those trained by `study`); how many were dropped. Links stay as history."""
        with self._sessions.begin() as session:
            query = delete(CacheEntryRow)
            if study is not None:
                query = query.where(CacheEntryRow.study == study)
            return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def cache_links(registry: Registry, study: str) -> Mapping[str, str]:
    """The cached trials of a study (ray trial id -> origin), for status and the report."""
    return ResultCache(registry).links(study)
