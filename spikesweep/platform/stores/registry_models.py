"""The registry's SQLAlchemy models: tables prefixed `ss_`, kept by the Alembic migrations beside them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def now() -> dt.datetime:
    """UTC now, naive (SQLite keeps no time zone)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class StudyRow(Base):
    __tablename__ = "ss_studies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    file_text: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64))
    resolved: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="queued")
    optuna_study_name: Mapped[str | None] = mapped_column(String(200))
    mlflow_experiment_id: Mapped[str | None] = mapped_column(String(64))
    mlflow_parent_run_id: Mapped[str | None] = mapped_column(String(64))
    ray_path: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    driver_pid: Mapped[int | None]
    driver_host: Mapped[str | None] = mapped_column(String(255))
    trials: Mapped[list[TrialRow]] = relationship(back_populates="study", cascade="all, delete-orphan")


class TrialRow(Base):
    __tablename__ = "ss_trials"
    __table_args__ = (UniqueConstraint("study_id", "ray_trial_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("ss_studies.id", ondelete="CASCADE"), index=True)
    ray_trial_id: Mapped[str] = mapped_column(String(64))
    optuna_trial_number: Mapped[int | None]
    mlflow_run_id: Mapped[str | None] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int]
    changed: Mapped[dict[str, Any]]
    config: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(20), default="RUNNING")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(default=now)
    finished_at: Mapped[dt.datetime | None]
    node: Mapped[str | None] = mapped_column(String(64))  # the Ray node id the trial ran on (migration 0002_node)
    attempts: Mapped[int] = mapped_column(default=1, server_default="1")
    checkpoint_path: Mapped[str | None] = mapped_column(Text)
    checkpoint_epoch: Mapped[int | None]
    study: Mapped[StudyRow] = relationship(back_populates="trials")


class TrialEpochRow(Base):
    """One reported epoch of a trial, in reporting order (`id`): what `resume` replays into the scheduler's rungs
    (migration 0006_epochs)."""

    __tablename__ = "ss_trial_epochs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("ss_trials.id", ondelete="CASCADE"), index=True)
    epoch: Mapped[int]
    metrics: Mapped[dict[str, Any]]
