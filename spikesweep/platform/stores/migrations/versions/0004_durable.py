"""Durable studies: the driver's heartbeat (when, which process on which host) and, per trial, the attempts and
the last checkpoint (where, after which epoch), so that `resume` can find them without Ray's experiment folder.

Revision ID: 0004_durable
Revises: 0003_cache
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_durable"
down_revision = "0003_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ss_studies") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("driver_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("driver_host", sa.String(255), nullable=True))
    with op.batch_alter_table("ss_trials") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("checkpoint_path", sa.Text(), nullable=True))
        batch.add_column(sa.Column("checkpoint_epoch", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ss_trials") as batch:
        batch.drop_column("checkpoint_epoch")
        batch.drop_column("checkpoint_path")
        batch.drop_column("attempts")
    with op.batch_alter_table("ss_studies") as batch:
        batch.drop_column("driver_host")
        batch.drop_column("driver_pid")
        batch.drop_column("heartbeat_at")
