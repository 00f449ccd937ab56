"""Per-epoch history of every trial, in reporting order, so that `resume` can rebuild the scheduler's rungs
(Ray does not checkpoint schedulers: ray#30838).

Revision ID: 0006_epochs
Revises: 0005_cachecp
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_epochs"
down_revision = "0005_cachecp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ss_trial_epochs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trial_id", sa.Integer(), sa.ForeignKey("ss_trials.id", ondelete="CASCADE"), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
    )
    op.create_index("ix_ss_trial_epochs_trial_id", "ss_trial_epochs", ["trial_id"])


def downgrade() -> None:
    op.drop_index("ix_ss_trial_epochs_trial_id", table_name="ss_trial_epochs")
    op.drop_table("ss_trial_epochs")
