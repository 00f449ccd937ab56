"""The result cache shared by the studies of a home: entries and reuse links.

Revision ID: 0003_cache
Revises: 0002_node
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_cache"
down_revision = "0002_node"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ss_cache_entries",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("study", sa.String(200), nullable=False),
        sa.Column("ray_trial_id", sa.String(64), nullable=False),
        sa.Column("mlflow_run_id", sa.String(64), nullable=True),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ss_cache_entries_study", "ss_cache_entries", ["study"])
    op.create_table(
        "ss_cache_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study", sa.String(200), nullable=False),
        sa.Column("ray_trial_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("origin_study", sa.String(200), nullable=False),
        sa.Column("origin_trial_id", sa.String(64), nullable=False),
        sa.Column("origin_run_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ss_cache_links_study", "ss_cache_links", ["study"])


def downgrade() -> None:
    op.drop_index("ix_ss_cache_links_study", table_name="ss_cache_links")
    op.drop_table("ss_cache_links")
    op.drop_index("ix_ss_cache_entries_study", table_name="ss_cache_entries")
    op.drop_table("ss_cache_entries")
