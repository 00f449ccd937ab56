"""The registry: a storage API with checked verbs, snapshots, read-only opens and its own errors."""

from __future__ import annotations

import pytest
import sqlalchemy

from spikesweep.platform.stores import (
    InvalidTransition,
    Registry,
    RegistryError,
    SchemaMismatch,
    StudyExists,
    StudyNotFound,
    TrialNotFound,
)
from spikesweep.platform.stores.migrations import head_revision

SHA = "ab" * 32


def started(url: str) -> Registry:
    registry = Registry(url)
    registry.create_study("s", "study: s\n", SHA, {"study": "s", "design": {"kind": "grid"}})
    registry.mark_running(
        "s", optuna_study_name="s", mlflow_experiment_id="1", mlflow_parent_run_id="p", ray_path="/r/s"
    )
    return registry


def test_study_and_trials_round_trip(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with started(url) as registry:
        assert registry.get_study("s").status == "running" and registry.get_study("s").started_at is not None
        for tid, t in (("t1", 1), ("t2", 2)):
            registry.start_trial(
                "s",
                tid,
                arm=f"timesteps={t}",
                seed=0,
                changed={"timesteps": t},
                config={"timesteps": t, "seed": 0},
                mlflow_run_id=f"run{t}",
                optuna_trial_number=None,
            )
        registry.record_epoch("s", "t1", {"accuracy": 0.5, "epoch": 1})
        assert registry.trials("s")[0].metrics == {"accuracy": 0.5, "epoch": 1}
        registry.finish_trial("s", "t1", "COMPLETE", metrics={"accuracy": 0.9}, optuna_trial_number=0)
        registry.finish_trial("s", "t2", "FAIL", error="TrialDiverged: nan", optuna_trial_number=1)
        registry.set_status("s", "completed")

    with Registry(url, read_only=True) as again:
        study = again.require_study("s")
        assert (study.status, study.mlflow_parent_run_id, study.resolved["design"]) == (
            "completed",
            "p",
            {"kind": "grid"},
        )
        assert study.finished_at is not None and study.ray_path == "/r/s"
        trials = again.trials("s")
        assert [(t.ray_trial_id, t.state, t.optuna_trial_number, t.mlflow_run_id) for t in trials] == [
            ("t1", "COMPLETE", 0, "run1"),
            ("t2", "FAIL", 1, "run2"),
        ]
        assert trials[0].metrics == {"accuracy": 0.9} and trials[1].error == "TrialDiverged: nan"
        assert trials[0].finished_at is not None
        assert again.trial_counts("s") == {"COMPLETE": 1, "FAIL": 1}
        assert [s.name for s in again.studies()] == ["s"]
        with pytest.raises(RegistryError, match="read-only"):
            again.set_status("s", "running")
        tables = set(sqlalchemy.inspect(again.engine).get_table_names())
    assert tables == {
        "ss_studies",
        "ss_trials",
        "ss_cache_entries",
        "ss_cache_links",
        "ss_trial_epochs",
        "ss_alembic_version",
    }


def test_verbs_check_their_arguments_and_transitions(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    with started(url) as registry:
        with pytest.raises(StudyExists, match="'s' already exists"):
            registry.create_study("s", "", SHA, {})
        with pytest.raises(ValueError, match="unknown study status 'done'"):
            registry.set_status("s", "done")
        with pytest.raises(InvalidTransition, match="running; it cannot become queued"):
            registry.set_status("s", "queued")
        with pytest.raises(StudyNotFound):
            registry.set_status("nope", "failed")
        with pytest.raises(StudyNotFound):
            registry.require_study("nope")
        with pytest.raises(TrialNotFound):
            registry.record_epoch("s", "t9", {})
        registry.start_trial(
            "s", "t1", arm="a", seed=0, changed={}, config={}, mlflow_run_id=None, optuna_trial_number=None
        )
        with pytest.raises(InvalidTransition, match="started before"):
            registry.start_trial(
                "s", "t1", arm="a", seed=0, changed={}, config={}, mlflow_run_id=None, optuna_trial_number=None
            )
        with pytest.raises(ValueError, match="unknown trial state 'DONE'"):
            registry.finish_trial("s", "t1", "DONE")
        with pytest.raises(InvalidTransition, match="still RUNNING"):
            registry.set_trial_metrics("s", "t1", {"energy_mj": 1.0})
        registry.finish_trial("s", "t1", "PRUNED", metrics={"epoch": 1})
        with pytest.raises(InvalidTransition, match="already ended PRUNED"):
            registry.finish_trial("s", "t1", "COMPLETE")
        with pytest.raises(InvalidTransition, match="PRUNED, not RUNNING"):
            registry.record_epoch("s", "t1", {"epoch": 2})
        registry.set_trial_metrics("s", "t1", {"epoch": 1, "energy_mj": 2.0})
        assert registry.trials("s")[0].metrics == {"epoch": 1, "energy_mj": 2.0}
        registry.set_status("s", "interrupted", error="KeyboardInterrupt")
        registry.set_status("s", "running")  # an interrupted study may run again
        assert registry.get_study("s").finished_at is None and registry.get_study("s").error is None
        with pytest.raises(ValueError, match="64 hex digits"):
            registry.create_study("t", "", "ab", {})


def test_read_only_opens_check_the_schema_instead_of_creating_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(SchemaMismatch, match="no schema yet"):
        Registry(url, read_only=True)
    engine = sqlalchemy.create_engine(url)
    assert sqlalchemy.inspect(engine).get_table_names() == []  # nothing was created
    Registry(url).close()
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE ss_alembic_version SET version_num = '0000'")
    with pytest.raises(SchemaMismatch, match=f"revision 0000, this spikesweep expects {head_revision()}"):
        Registry(url, read_only=True)
    engine.dispose()


def test_migrations_match_the_models_and_leave_other_tables_alone(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from spikesweep.platform.stores.migrations import VERSION_TABLE, head_revision, include_name
    from spikesweep.platform.stores.registry_models import Base

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:  # a table of another tool in the same database
        connection.exec_driver_sql("CREATE TABLE studies (study_id INTEGER PRIMARY KEY)")
    Registry(url).close()
    Registry(url).close()  # a second open is a no-op upgrade
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE, "include_name": include_name}
        )
        assert compare_metadata(context, Base.metadata) == []
        assert connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalar() == head_revision()
    assert "studies" in sqlalchemy.inspect(engine).get_table_names()
    engine.dispose()


def test_a_completed_study_name_gets_the_next_free_suffix(tmp_path):
    from spikesweep.platform.cli.commands.submit import next_free_name

    with Registry(f"sqlite:///{tmp_path / 'registry.db'}") as registry:
        for name in ("quickstart", "quickstart-2", "quickstart-4"):
            registry.create_study(name, "", SHA, {})
        assert next_free_name(registry, "quickstart") == "quickstart-3"
        assert next_free_name(registry, "other") == "other-2"
