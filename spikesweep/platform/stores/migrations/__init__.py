"""Alembic migrations of the registry (version table `ss_alembic_version`, only `ss_*` tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy.engine import Engine

VERSION_TABLE = "ss_alembic_version"
TABLE_PREFIX = "ss_"


def include_name(name: str | None, type_: Any, parent_names: Any) -> bool:
    """Only the registry's own tables: it may share a database with Optuna or MLflow."""
    return type_ != "table" or bool(name and name.startswith(TABLE_PREFIX))


def upgrade(engine: Engine) -> None:
    """Bring the registry schema at `engine` to the newest revision."""
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _config() -> Config:

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    return config


def head_revision() -> str | None:
    """The newest migration this build knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the registry at `engine` is at (None: no registry schema there)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def check(engine: Engine) -> None:
    """Raise SchemaMismatch unless the registry at `engine` is at the newest migration (read-only opens)."""
    from ..errors import SchemaMismatch

    current, head = current_revision(engine), head_revision()
    if current is None:
        raise SchemaMismatch("the registry has no schema yet (no study was ever submitted to it)")
    if current != head:
        raise SchemaMismatch(
            f"the registry schema is at revision {current}, this spikesweep expects {head}: "
            "submit or resume a study with this version to upgrade it"
        )
