"""Alembic migrations of the registry (version table `ss_alembic_version`, only `ss_*` tables)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

VERSION_TABLE = "ss_alembic_version"
TABLE_PREFIX = "ss_"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Only the registry's own tables: it may share a database with Optuna or MLflow."""
    return type_ != "table" or bool(name and name.startswith(TABLE_PREFIX))


def upgrade(engine: Engine) -> None:
    """Bring the registry schema at `engine` to the newest revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
