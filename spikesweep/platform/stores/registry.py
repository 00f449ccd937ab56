"""The registry: spikesweep's own SQLAlchemy database joining studies, Ray trials, Optuna numbers and MLflow runs.

Its own SQLite file by default (`registry.db`), tables prefixed `ss_` so it could share a database with Optuna or
MLflow; the schema is kept by Alembic migrations (`migrations/`, version table `ss_alembic_version`). Sessions are
opened and closed inside this module; callers see plain dataclass snapshots.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

STUDY_STATES = ("queued", "running", "completed", "failed", "interrupted")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


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
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    trials: Mapped[list["TrialRow"]] = relationship(back_populates="study", cascade="all, delete-orphan")


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
    started_at: Mapped[dt.datetime] = mapped_column(default=_now)
    finished_at: Mapped[dt.datetime | None]
    study: Mapped[StudyRow] = relationship(back_populates="trials")


@dataclass(frozen=True)
class Study:
    """A snapshot of a study row."""

    name: str
    status: str
    resolved: dict[str, Any]
    file_text: str
    file_sha256: str
    optuna_study_name: str | None
    mlflow_experiment_id: str | None
    mlflow_parent_run_id: str | None
    ray_path: str | None
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class Trial:
    """A snapshot of a trial row."""

    ray_trial_id: str
    optuna_trial_number: int | None
    mlflow_run_id: str | None
    arm: str
    seed: int
    changed: dict[str, Any]
    config: dict[str, Any]
    state: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _study(row: StudyRow) -> Study:
    return Study(row.name, row.status, row.resolved, row.file_text, row.file_sha256, row.optuna_study_name,
                 row.mlflow_experiment_id, row.mlflow_parent_run_id, row.ray_path, row.error, row.created_at,
                 row.finished_at)


def _trial(row: TrialRow) -> Trial:
    return Trial(row.ray_trial_id, row.optuna_trial_number, row.mlflow_run_id, row.arm, row.seed, row.changed,
                 row.config, row.state, dict(row.metrics or {}), row.error)


class Registry:
    """The registry API: a few verbs over a SQLAlchemy database at `url`."""

    def __init__(self, url: str) -> None:
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
        from .migrations import upgrade

        upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def create_study(self, name: str, file_text: str, file_sha256: str, resolved: dict[str, Any]) -> Study:
        with self._sessions.begin() as session:
            row = StudyRow(name=name, file_text=file_text, file_sha256=file_sha256, resolved=resolved)
            session.add(row)
            session.flush()
            return _study(row)

    def update_study(self, name: str, **values: Any) -> None:
        """Set columns of a study (status must be one of STUDY_STATES); stamps start/finish times."""
        status = values.get("status")
        if status is not None and status not in STUDY_STATES:
            raise ValueError(f"unknown study status {status!r}")
        with self._sessions.begin() as session:
            row = session.scalars(select(StudyRow).where(StudyRow.name == name)).one()
            for key, value in values.items():
                setattr(row, key, value)
            if status == "running" and row.started_at is None:
                row.started_at = _now()
            if status in ("completed", "failed", "interrupted"):
                row.finished_at = _now()

    def get_study(self, name: str) -> Study | None:
        with self._sessions() as session:
            row = session.scalars(select(StudyRow).where(StudyRow.name == name)).one_or_none()
            return _study(row) if row else None

    def studies(self) -> list[Study]:
        with self._sessions() as session:
            return [_study(r) for r in session.scalars(select(StudyRow).order_by(StudyRow.created_at))]

    def start_trial(self, study: str, ray_trial_id: str, arm: str, seed: int, changed: dict[str, Any],
                    config: dict[str, Any], mlflow_run_id: str | None, optuna_trial_number: int | None) -> None:
        with self._sessions.begin() as session:
            study_row = session.scalars(select(StudyRow).where(StudyRow.name == study)).one()
            session.add(TrialRow(study_id=study_row.id, ray_trial_id=ray_trial_id, arm=arm, seed=seed,
                                 changed=changed, config=config, mlflow_run_id=mlflow_run_id,
                                 optuna_trial_number=optuna_trial_number, state="RUNNING", metrics={}))

    def update_trial(self, study: str, ray_trial_id: str, **values: Any) -> None:
        """Set columns of a trial (e.g. state, metrics, error, optuna_trial_number)."""
        with self._sessions.begin() as session:
            row = session.scalars(select(TrialRow).join(StudyRow).where(
                StudyRow.name == study, TrialRow.ray_trial_id == ray_trial_id)).one()
            for key, value in values.items():
                setattr(row, key, value)
            if values.get("state") in ("COMPLETE", "PRUNED", "FAIL"):
                row.finished_at = _now()

    def trials(self, study: str) -> list[Trial]:
        with self._sessions() as session:
            rows = session.scalars(select(TrialRow).join(StudyRow).where(StudyRow.name == study)
                                   .order_by(TrialRow.id))
            return [_trial(r) for r in rows]


def load_resolved_study(home: Any, study: str) -> dict[str, Any] | None:
    """The stored resolved study file of `study` in a home (a `Home` or a path), or None if unknown."""
    from .home import Home, get_home

    home = home if isinstance(home, Home) else get_home(home)
    if not home.registry_exists():
        return None
    registry = Registry(home.registry_uri)
    try:
        row = registry.get_study(study)
    finally:
        registry.close()
    return dict(row.resolved) if row else None
