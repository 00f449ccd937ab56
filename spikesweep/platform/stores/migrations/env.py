"""Alembic environment of the registry: runs on the connection `migrations.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from spikesweep.platform.stores.migrations import VERSION_TABLE, include_name
from spikesweep.platform.stores.registry_models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    include_name=include_name,
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
