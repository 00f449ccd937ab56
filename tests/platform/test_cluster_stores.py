"""Store URIs on a cluster: redaction, fast one-line connection failures, schema creation under a lock, the
cluster check's verdicts, the per-node frame cache lock, `ui` without secrets on its command line."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy

from spikesweep.platform.cli import main
from spikesweep.platform.cli.commands.submit import already_exists
from spikesweep.platform.cli.commands.ui import ui_command, ui_environment
from spikesweep.platform.run.cluster_check import judge
from spikesweep.platform.run.ray_runtime import ensure_token
from spikesweep.platform.stores.checks import check_stores
from spikesweep.platform.stores.errors import StoreUnavailable
from spikesweep.platform.stores.home import get_home
from spikesweep.platform.stores.uris import normalize, redact, scrub, secrets_of

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "spikesweep" / "search_spaces" / "quickstart.yaml"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://user:secret@host/db", "postgresql://user:***@host/db"),
        ("postgresql+psycopg2://u:p@ss@h:5432/mlflow", "postgresql+psycopg2://u:***@h:5432/mlflow"),
        ("http://user:secret@127.0.0.1:5999", "http://user:***@127.0.0.1:5999"),
        ("postgresql://h/db?user=u&password=secret", "postgresql://h/db?user=u&password=***"),
        ("sqlite:////home/me/registry.db", "sqlite:////home/me/registry.db"),
        ("http://mlflow:5000", "http://mlflow:5000"),
    ],
)
def test_redaction_hides_passwords_and_nothing_else(uri, shown):
    assert redact(uri) == shown
    assert all(secret not in redact(uri) for secret in secrets_of(uri))
    assert (
        scrub(f"OperationalError: could not open {uri} (retry)") == f"OperationalError: could not open {shown} (retry)"
    )


def test_plain_postgresql_uris_run_on_psycopg2():
    assert normalize("postgresql://u:p@h/db") == "postgresql+psycopg2://u:p@h/db"
    assert normalize("postgresql+psycopg://u:p@h/db") == "postgresql+psycopg://u:p@h/db"  # an explicit driver stays
    assert normalize("sqlite:////x.db") == "sqlite:////x.db"


@pytest.mark.parametrize(
    ("store", "uri", "reason"),
    [
        ("registry", "postgresql://u:pw-9f3@127.0.0.1:{port}/registry", "Connection refused"),
        ("optuna", "postgresql+pg8000://u:pw-9f3@127.0.0.1:{port}/optuna", "spikesweep[postgres]"),
        ("mlflow", "http://u:pw-9f3@127.0.0.1:{port}", "cannot connect"),
    ],
)
def test_an_unreachable_store_is_one_line_naming_it_redacted(store, uri, reason):
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        check_stores({store: normalize(uri.format(port=closed_port()))})
    message = str(caught.value)
    assert message.startswith(f"{store} store ") and "***" in message and reason in message
    assert "pw-9f3" not in message and "\n" not in message
    assert time.monotonic() - started < 30  # no minutes of retries


def test_submit_with_an_unreachable_shared_registry_exits_1_and_writes_nothing(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_REGISTRY_URI", f"postgresql://lab:pw-77ab@127.0.0.1:{closed_port()}/registry")
    assert main(["--home", str(home), "submit", str(STUDY)]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("registry store postgresql+psycopg2://lab:***@127.0.0.1:")
    assert "pw-77ab" not in out + err
    assert not home.exists()


def test_the_duplicate_name_message_names_the_shared_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKESWEEP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SPIKESWEEP_REGISTRY_URI", "postgresql://lab:pw-1@db:5432/registry")
    message = already_exists("s.yaml", "s", get_home().where(), "running")
    assert "already exists in the registry postgresql://lab:***@db:5432/registry" in message
    assert str(tmp_path) not in message and "pw-1" not in message


@pytest.mark.integration  # real MLflow and Optuna schema creation in four processes
@pytest.mark.slow
def test_first_use_of_a_home_by_four_processes_at_once(tmp_path):
    """Four processes create the three SQLite stores of one new home at once: each schema exactly once."""
    home = tmp_path / "home"
    code = (
        "from spikesweep.platform.stores.home import get_home;"
        "from spikesweep.platform.stores.checks import store_uris;"
        "from spikesweep.platform.stores.schema import init_stores;"
        f"h = get_home({str(home)!r}); h.create(); init_stores(store_uris(h))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("SPIKESWEEP_MLFLOW_URI", "SPIKESWEEP_OPTUNA_URI", "SPIKESWEEP_REGISTRY_URI"):
        env.pop(name, None)
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    errors = [process.communicate(timeout=300)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], "\n".join(errors)[-3000:]
    tables = {}
    for store in ("mlflow", "optuna", "registry"):
        engine = sqlalchemy.create_engine(f"sqlite:///{home / (store + '.db')}")
        tables[store] = set(sqlalchemy.inspect(engine).get_table_names())
        engine.dispose()
    assert {"experiments", "runs", "datasets"} <= tables["mlflow"]
    assert {"studies", "trials"} <= tables["optuna"]
    assert {"ss_studies", "ss_trials", "ss_alembic_version"} <= tables["registry"]


DRIVER = {"python": "3.11", "ray": "2.60.0", "torch": "2.13.0", "spikesweep": "abc", "node": "d"}


def test_the_cluster_check_refuses_nodes_that_cannot_run_trials_and_ships_a_missing_package():
    verdict = judge(
        DRIVER,
        {
            "aaaa (10.0.0.1)": {**DRIVER, "python": "3.10"},
            "bbbb (10.0.0.2)": {**DRIVER, "torch": None, "ray": "2.59.0"},
            "cccc (10.0.0.3)": {**DRIVER, "spikesweep": None},
            "dddd (10.0.0.4)": dict(DRIVER),
        },
    )
    assert verdict.refused == [
        "node aaaa (10.0.0.1): cannot run trials: Python 3.10 (the driver has 3.11)",
        "node bbbb (10.0.0.2): cannot run trials: Ray 2.59.0 (the driver has 2.60.0); torch is not installed",
    ]
    assert verdict.ship
    assert judge(DRIVER, {"dddd": dict(DRIVER)}).ship is False
    assert judge(DRIVER, {"eeee": {**DRIVER, "spikesweep": "other"}}).ship is True


def test_the_frame_cache_is_built_once_per_node_under_a_lock(tmp_path):
    import torch

    from spikesweep.workers.data.base import DataBundle
    from spikesweep.workers.data.cache import build_cache, read_cache

    calls = []

    def build() -> DataBundle:
        calls.append(threading.get_ident())
        time.sleep(0.3)  # long enough for the other builders to reach the lock
        x = torch.ones(2, 3, 2, 4, 4, dtype=torch.int16)
        return DataBundle(x, torch.tensor([0, 1]), x, torch.tensor([1, 0]), (2, 4, 4), 2, "event")

    folders: list[Path] = []
    threads = [
        threading.Thread(target=lambda: folders.append(build_cache(tmp_path, "toy", {"t": 3}, build))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(folders)) == 1
    assert read_cache(folders[0]).train_y.tolist() == [0, 1]
    assert [p.name for p in (tmp_path / "frames").iterdir()] == [folders[0].name]


def test_the_local_ray_token_is_kept_in_the_home_mode_600(tmp_path):
    path = ensure_token(tmp_path / "home" / "ray_auth_token")
    token = path.read_text()
    assert len(token) == 64 and stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    assert ensure_token(path).read_text() == token and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_ui_keeps_the_store_uri_off_its_command_line(tmp_path, monkeypatch, capsys):
    uri = "postgresql+psycopg2://lab:pw-ui@db/mlflow"
    command = ui_command((tmp_path / "a").as_uri(), 5000)
    assert not any("pw-ui" in part or "postgresql" in part for part in command)
    assert "127.0.0.1" in command
    assert ui_environment(uri)["MLFLOW_BACKEND_STORE_URI"] == uri
    monkeypatch.setenv("SPIKESWEEP_MLFLOW_URI", "http://lab:pw-ui@mlflow.lab:5000")
    assert main(["--home", str(tmp_path / "none"), "ui"]) == 0
    out = capsys.readouterr().out
    assert "http://lab:***@mlflow.lab:5000" in out and "pw-ui" not in out


def test_the_local_ray_inherits_no_store_uri_and_no_credential():
    from spikesweep.platform.run.ray_runtime import private_vars

    environ = {
        "SPIKESWEEP_OPTUNA_URI": "postgresql://u:p@h/optuna",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_ACCESS_KEY_ID": "x",
        "GITHUB_TOKEN": "x",
        "PGPASSWORD": "x",
        "OPENAI_API_KEY": "x",
        "GOOGLE_APPLICATION_CREDENTIALS": "/k.json",
        "RAY_AUTH_TOKEN_PATH": "/home/u/.spikesweep/ray_auth_token",
        "RAY_AUTH_MODE": "token",
        "PYTHONPATH": "/src",
        "SPIKESWEEP_CACHE_DIR": "/cache",
        "HOME": "/home/u",
        "KEYBOARD": "us",
    }
    assert sorted(private_vars(environ)) == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "GITHUB_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "OPENAI_API_KEY",
        "PGPASSWORD",
        "SPIKESWEEP_OPTUNA_URI",
    ]


def test_resume_with_an_unreachable_shared_registry_exits_1_and_writes_nothing(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("SPIKESWEEP_REGISTRY_URI", f"postgresql://lab:pw-3c1d@127.0.0.1:{closed_port()}/registry")
    assert main(["--home", str(home), "resume", "anything"]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("registry store postgresql+psycopg2://lab:***@127.0.0.1:")
    assert "pw-3c1d" not in out + err
    assert not home.exists()
