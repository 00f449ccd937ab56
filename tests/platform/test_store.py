"""The registry: studies and trials round-trip through SQLAlchemy; prefixed tables; status values checked."""
from __future__ import annotations

import sqlalchemy
import pytest

from spikesweep.platform.stores.registry import Registry


def test_study_and_trials_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry(url)
    registry.create_study("s", "study: s\n", "ab" * 32, {"study": "s", "design": {"kind": "grid"}})
    assert registry.get_study("s").status == "queued"
    registry.update_study("s", status="running", optuna_study_name="s", mlflow_experiment_id="1",
                          mlflow_parent_run_id="p")
    registry.start_trial("s", "t1", "timesteps=1", 0, {"timesteps": 1}, {"timesteps": 1, "seed": 0}, "run1", None)
    registry.start_trial("s", "t2", "timesteps=2", 0, {"timesteps": 2}, {"timesteps": 2, "seed": 0}, "run2", None)
    registry.update_trial("s", "t1", state="COMPLETE", metrics={"accuracy": 0.9}, optuna_trial_number=0)
    registry.update_trial("s", "t2", state="FAIL", error="TrialDiverged: nan", optuna_trial_number=1)
    registry.update_study("s", status="completed")
    registry.close()

    again = Registry(url)
    study = again.get_study("s")
    assert (study.status, study.mlflow_parent_run_id, study.resolved["design"]) == ("completed", "p", {"kind": "grid"})
    assert study.finished_at is not None
    trials = again.trials("s")
    assert [(t.ray_trial_id, t.state, t.optuna_trial_number, t.mlflow_run_id) for t in trials] == [
        ("t1", "COMPLETE", 0, "run1"), ("t2", "FAIL", 1, "run2")]
    assert trials[0].metrics == {"accuracy": 0.9} and trials[1].error == "TrialDiverged: nan"
    assert [s.name for s in again.studies()] == ["s"]
    with pytest.raises(ValueError, match="unknown study status"):
        again.update_study("s", status="done")
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        again.create_study("s", "", "", {})
    tables = set(sqlalchemy.inspect(again.engine).get_table_names())
    again.close()
    assert tables == {"ss_studies", "ss_trials", "ss_alembic_version"}


def test_migrations_match_the_models_and_leave_other_tables_alone(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from spikesweep.platform.stores.migrations import VERSION_TABLE, include_name
    from spikesweep.platform.stores.registry import Base

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:  # a table of another tool in the same database
        connection.exec_driver_sql("CREATE TABLE studies (study_id INTEGER PRIMARY KEY)")
    Registry(url).close()
    Registry(url).close()  # a second open is a no-op upgrade
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE,
                                                               "include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []
        assert connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar() == "0001"
    assert "studies" in sqlalchemy.inspect(engine).get_table_names()
    engine.dispose()
