"""Alerts record who logged them; the notes their creation made are derived, not stored.

Every new alert stored a system note "logged an alert from <source>", and every incident
opened with it "created incident #N for this alert": rows and index entries written while
the ingest write lock is held. The source now lives on the alert (`logged_from`) and
readers derive both notes (see `console.derived_notes`). Alerts stored before this
revision keep their stored notes; their `logged_from` is empty, so nothing shows twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases: no table copy, however many alerts are stored.
    op.add_column(
        "alerts",
        sa.Column("logged_from", sa.String(length=255), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("logged_from")
