"""The registry: spikesweep's own database joining studies, Ray trials, Optuna numbers and MLflow runs.

A storage API in the manner of Optuna's storages: open it as a context manager, change it through explicit verbs
whose arguments and state transitions are checked, and read frozen snapshots. Sessions never leave this module;
database errors a caller handles come out as this module's own errors. Writable opens bring the schema to the
newest migration; read-only opens only check that it is there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from . import cache_models  # noqa: F401  (the result cache's tables share the registry's metadata)
from .errors import InvalidTransition, RegistryError, SchemaMismatch, StudyExists, StudyNotFound, TrialNotFound
from .registry_models import StudyRow, TrialEpochRow, TrialRow, now

STUDY_STATES = ("queued", "running", "completed", "failed", "interrupted")
FINISHED_STUDY_STATES = ("completed", "failed", "interrupted")
# Which status a study may move to from each status (a failed or interrupted study may run again).
STUDY_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "queued": ("running", "failed", "interrupted"),
    "running": ("completed", "failed", "interrupted"),
    "interrupted": ("running", "failed"),
    "failed": ("running",),
    "completed": (),
}
FINISHED_TRIAL_STATES = ("COMPLETE", "PRUNED", "FAIL")
INTERRUPTED = "interrupted"  # the FAIL reason of a trial its study's interruption ended (`resume` continues it)
__all__ = [
    "InvalidTransition",
    "Registry",
    "RegistryError",
    "SchemaMismatch",
    "Study",
    "StudyExists",
    "StudyNotFound",
    "Trial",
    "TrialNotFound",
    "load_resolved_study",
    "open_registry",
]


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
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None = None
    driver_pid: int | None = None
    driver_host: str | None = None

    @classmethod
    def of(cls, row: StudyRow) -> Study:
        return cls(
            row.name,
            row.status,
            row.resolved,
            row.file_text,
            row.file_sha256,
            row.optuna_study_name,
            row.mlflow_experiment_id,
            row.mlflow_parent_run_id,
            row.ray_path,
            row.error,
            row.created_at,
            row.started_at,
            row.finished_at,
            row.heartbeat_at,
            row.driver_pid,
            row.driver_host,
        )


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
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    node: str | None = None
    attempts: int = 1
    checkpoint_path: str | None = None
    checkpoint_epoch: int | None = None

    @classmethod
    def of(cls, row: TrialRow) -> Trial:
        return cls(
            row.ray_trial_id,
            row.optuna_trial_number,
            row.mlflow_run_id,
            row.arm,
            row.seed,
            row.changed,
            row.config,
            row.state,
            dict(row.metrics or {}),
            row.error,
            row.started_at,
            row.finished_at,
            row.node,
            row.attempts or 1,
            row.checkpoint_path,
            row.checkpoint_epoch,
        )


class Registry:
    """The registry at a SQLAlchemy `url`; `read_only=True` checks the schema instead of upgrading it."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=connect_args)
        self.read_only = read_only
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
        from .migrations import check, upgrade

        try:
            check(self.engine) if read_only else upgrade(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        if self.read_only:
            raise RegistryError("the registry was opened read-only")
        with self._sessions.begin() as session:
            yield session

    # studies -------------------------------------------------------------------------------------------------

    def create_study(self, name: str, file_text: str, file_sha256: str, resolved: Mapping[str, Any]) -> Study:
        """Register a new study (status `queued`); StudyExists if the name is taken."""
        if not name:
            raise ValueError("a study needs a name")
        if len(file_sha256) != 64:
            raise ValueError(f"file_sha256 must be 64 hex digits, got {len(file_sha256)} characters")
        try:
            with self._write() as session:
                row = StudyRow(name=name, file_text=file_text, file_sha256=file_sha256, resolved=dict(resolved))
                session.add(row)
                session.flush()
                return Study.of(row)
        except IntegrityError:
            raise StudyExists(f"a study named {name!r} already exists") from None

    def mark_running(
        self, name: str, *, optuna_study_name: str, mlflow_experiment_id: str, mlflow_parent_run_id: str, ray_path: str
    ) -> Study:
        """The study's run started: where its Optuna study, MLflow runs and Ray results live."""
        with self._write() as session:
            row = self._study_row(session, name)
            self._move(row, "running")
            row.optuna_study_name, row.mlflow_experiment_id = optuna_study_name, mlflow_experiment_id
            row.mlflow_parent_run_id, row.ray_path = mlflow_parent_run_id, ray_path
            row.error = None
            return Study.of(row)

    def set_status(self, name: str, status: str, error: str | None = None) -> Study:
        """Move a study to `status` (see STUDY_TRANSITIONS), with the error that ended it if any."""
        with self._write() as session:
            row = self._study_row(session, name)
            self._move(row, status)
            row.error = error
            return Study.of(row)

    def replace_file(self, name: str, file_text: str, file_sha256: str, resolved: Mapping[str, Any]) -> Study:
        """A changed study file accepted for an unfinished study (`resume --force`): stored as the study's own."""
        with self._write() as session:
            row = self._study_row(session, name)
            if row.status == "completed":
                raise InvalidTransition(f"study {name!r} is completed: its file is what it ran")
            row.file_text, row.file_sha256, row.resolved = file_text, file_sha256, dict(resolved)
            return Study.of(row)

    def beat(self, name: str, pid: int | None = None, host: str | None = None) -> None:
        """The study's driver is alive now (and, when given, which process on which host it is)."""
        with self._write() as session:
            row = self._study_row(session, name)
            row.heartbeat_at = now()
            if pid is not None:
                row.driver_pid, row.driver_host = pid, host

    def get_study(self, name: str) -> Study | None:
        with self._sessions() as session:
            row = session.scalars(select(StudyRow).where(StudyRow.name == name)).one_or_none()
            return Study.of(row) if row else None

    def require_study(self, name: str) -> Study:
        """The study's snapshot; StudyNotFound if it is unknown."""
        study = self.get_study(name)
        if study is None:
            raise StudyNotFound(f"no study {name!r} in the registry")
        return study

    def studies(self) -> list[Study]:
        with self._sessions() as session:
            return [Study.of(r) for r in session.scalars(select(StudyRow).order_by(StudyRow.created_at))]

    # trials --------------------------------------------------------------------------------------------------

    def start_trial(
        self,
        study: str,
        ray_trial_id: str,
        *,
        arm: str,
        seed: int,
        changed: Mapping[str, Any],
        config: Mapping[str, Any],
        mlflow_run_id: str | None,
        optuna_trial_number: int | None,
    ) -> Trial:
        """Register a trial that started (state RUNNING)."""
        try:
            with self._write() as session:
                study_row = self._study_row(session, study)
                row = TrialRow(
                    study_id=study_row.id,
                    ray_trial_id=ray_trial_id,
                    arm=arm,
                    seed=int(seed),
                    changed=dict(changed),
                    config=dict(config),
                    mlflow_run_id=mlflow_run_id,
                    optuna_trial_number=optuna_trial_number,
                    state="RUNNING",
                    metrics={},
                )
                session.add(row)
                session.flush()
                return Trial.of(row)
        except IntegrityError:
            raise InvalidTransition(f"trial {ray_trial_id!r} of study {study!r} was started before") from None

    def record_epoch(self, study: str, ray_trial_id: str, metrics: Mapping[str, Any]) -> None:
        """The latest metrics of a running trial."""
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state != "RUNNING":
                raise InvalidTransition(f"trial {ray_trial_id!r} is {row.state}, not RUNNING: no epoch to record")
            row.metrics = dict(metrics)
            if isinstance(metrics.get("epoch"), int):  # the per-epoch history `resume` replays into the rungs
                session.add(TrialEpochRow(trial_id=row.id, epoch=metrics["epoch"], metrics=dict(metrics)))

    def epoch_history(self, study: str) -> list[tuple[str, int, dict[str, Any]]]:
        """Every epoch the study's trials reported, in reporting order: (current Ray trial id, epoch, metrics)."""
        with self._sessions() as session:
            found = session.execute(
                select(TrialRow.ray_trial_id, TrialEpochRow.epoch, TrialEpochRow.metrics)
                .join(TrialRow, TrialEpochRow.trial_id == TrialRow.id)
                .join(StudyRow)
                .where(StudyRow.name == study)
                .order_by(TrialEpochRow.id)
            )
            return [(trial, int(epoch), dict(metrics)) for trial, epoch, metrics in found]

    def finish_trial(
        self,
        study: str,
        ray_trial_id: str,
        state: str,
        *,
        metrics: Mapping[str, Any] | None = None,
        error: str | None = None,
        optuna_trial_number: int | None = None,
    ) -> Trial:
        """A running trial ended COMPLETE, PRUNED or FAIL (with its reason)."""
        if state not in FINISHED_TRIAL_STATES:
            raise ValueError(f"unknown trial state {state!r} (allowed: {', '.join(FINISHED_TRIAL_STATES)})")
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state != "RUNNING":
                raise InvalidTransition(f"trial {ray_trial_id!r} already ended {row.state}")
            row.state, row.error, row.finished_at = state, error, now()
            if metrics is not None:
                row.metrics = dict(metrics)
            if optuna_trial_number is not None:
                row.optuna_trial_number = optuna_trial_number
            return Trial.of(row)

    def set_trial_node(self, study: str, ray_trial_id: str, node: str) -> None:
        """The Ray node a trial runs on (recorded from its first result)."""
        with self._write() as session:
            self._trial_row(session, study, ray_trial_id).node = node

    def record_checkpoint(self, study: str, ray_trial_id: str, path: str, epoch: int) -> None:
        """The newest checkpoint of a running trial (where its storage keeps it, and after which epoch)."""
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state != "RUNNING":
                raise InvalidTransition(f"trial {ray_trial_id!r} is {row.state}, not RUNNING: no checkpoint to record")
            row.checkpoint_path, row.checkpoint_epoch = path, int(epoch)

    def count_attempt(self, study: str, ray_trial_id: str) -> Trial:
        """A running trial is tried again (its worker died): one attempt more."""
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state != "RUNNING":
                raise InvalidTransition(f"trial {ray_trial_id!r} is {row.state}, not RUNNING: it is not retried")
            row.attempts = (row.attempts or 1) + 1
            return Trial.of(row)

    def restart_trial(
        self, study: str, ray_trial_id: str, new_ray_trial_id: str, *, optuna_trial_number: int | None
    ) -> Trial:
        """A trial closed as interrupted runs again (as Ray trial `new_ray_trial_id`): RUNNING, one attempt more;
        its MLflow run and last checkpoint stay."""
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state != "FAIL" or row.error != INTERRUPTED:
                raise InvalidTransition(f"trial {ray_trial_id!r} ended {row.state} ({row.error}): not continued")
            row.ray_trial_id, row.state, row.error, row.finished_at = new_ray_trial_id, "RUNNING", None, None
            row.attempts = (row.attempts or 1) + 1
            row.optuna_trial_number = optuna_trial_number
            return Trial.of(row)

    def set_trial_metrics(self, study: str, ray_trial_id: str, metrics: Mapping[str, Any]) -> None:
        """Replace the final metrics of a finished trial (energy re-scored under another preset)."""
        with self._write() as session:
            row = self._trial_row(session, study, ray_trial_id)
            if row.state not in FINISHED_TRIAL_STATES:
                raise InvalidTransition(f"trial {ray_trial_id!r} is still {row.state}")
            row.metrics = dict(metrics)

    def set_many_trial_metrics(self, study: str, metrics: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the final metrics of several finished trials (ray trial id -> metrics) in one transaction:
        a crash leaves either all old or all new values."""
        with self._write() as session:
            for ray_trial_id, values in metrics.items():
                row = self._trial_row(session, study, ray_trial_id)
                if row.state not in FINISHED_TRIAL_STATES:
                    raise InvalidTransition(f"trial {ray_trial_id!r} is still {row.state}")
                row.metrics = dict(values)

    def trials(self, study: str) -> list[Trial]:
        with self._sessions() as session:
            rows = session.scalars(select(TrialRow).join(StudyRow).where(StudyRow.name == study).order_by(TrialRow.id))
            return [Trial.of(r) for r in rows]

    def trial_counts(self, study: str) -> dict[str, int]:
        """How many trials of the study are in each state."""
        counts: dict[str, int] = {}
        for trial in self.trials(study):
            counts[trial.state] = counts.get(trial.state, 0) + 1
        return counts

    # helpers -------------------------------------------------------------------------------------------------

    @staticmethod
    def _study_row(session: Session, name: str) -> StudyRow:
        row = session.scalars(select(StudyRow).where(StudyRow.name == name)).one_or_none()
        if row is None:
            raise StudyNotFound(f"no study {name!r} in the registry")
        return row

    @staticmethod
    def _trial_row(session: Session, study: str, ray_trial_id: str) -> TrialRow:
        row = session.scalars(
            select(TrialRow).join(StudyRow).where(StudyRow.name == study, TrialRow.ray_trial_id == ray_trial_id)
        ).one_or_none()
        if row is None:
            raise TrialNotFound(f"no trial {ray_trial_id!r} in study {study!r}")
        return row

    @staticmethod
    def _move(row: StudyRow, status: str) -> None:
        if status not in STUDY_STATES:
            raise ValueError(f"unknown study status {status!r} (allowed: {', '.join(STUDY_STATES)})")
        if status not in STUDY_TRANSITIONS[row.status]:
            raise InvalidTransition(f"study {row.name!r} is {row.status}; it cannot become {status}")
        row.status = status
        if status == "running" and row.started_at is None:
            row.started_at = now()
        row.finished_at = now() if status in FINISHED_STUDY_STATES else None


def open_registry(home: Any, *, read_only: bool = False) -> Registry:
    """The registry of a home (a `Home`); read-only opens of a home with no registry raise StudyNotFound."""
    if read_only and not home.registry_exists():
        raise StudyNotFound(f"no study in {home.root} (the home has no registry yet)")
    return Registry(home.registry_uri, read_only=read_only)


def load_resolved_study(home: Any, study: str) -> dict[str, Any] | None:
    """The stored resolved study file of `study` in a home (a `Home` or a path), or None if unknown."""
    from .home import Home, get_home

    home = home if isinstance(home, Home) else get_home(home)
    if not home.registry_exists():
        return None
    with open_registry(home, read_only=True) as registry:
        row = registry.get_study(study)
    return dict(row.resolved) if row else None
