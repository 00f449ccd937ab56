"""The result cache keeps where the cached trial's final checkpoint lies, so a longer trial continues from it.

Revision ID: 0005_cachecp
Revises: 0004_durable
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_cachecp"
down_revision = "0004_durable"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ss_cache_entries") as batch:
        batch.add_column(sa.Column("checkpoint_path", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ss_cache_entries") as batch:
        batch.drop_column("checkpoint_path")
