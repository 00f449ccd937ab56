"""The result cache's tables in the registry database (migrations 0003_cache, 0005_cachecp): entries and the links
of reuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .registry_models import Base, now


class CacheEntryRow(Base):
    """One COMPLETE trial's result, keyed by the hash of what determines it (see `run/cache_key.py`)."""

    __tablename__ = "ss_cache_entries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    study: Mapped[str] = mapped_column(String(200), index=True)
    ray_trial_id: Mapped[str] = mapped_column(String(64))
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    epochs: Mapped[int]
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # the trial's final checkpoint in the study's Ray storage (None: none was kept), for longer trials to continue
    checkpoint_path: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)


class CacheLinkRow(Base):
    """A trial of `study` that reused the cached result of `origin_study`'s trial instead of training."""

    __tablename__ = "ss_cache_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    study: Mapped[str] = mapped_column(String(200), index=True)
    ray_trial_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    origin_study: Mapped[str] = mapped_column(String(200))
    origin_trial_id: Mapped[str] = mapped_column(String(64))
    origin_run_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
