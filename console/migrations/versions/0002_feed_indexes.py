"""Feed indexes: severity order, and the alert search index (SQLite).

`ix_alerts_severity_started` lets the feed read alerts in severity order, newest first within
each severity, without sorting a whole table; both columns are set once when an alert is
created, so the index costs ingestion one insert per new alert and nothing on updates.

On SQLite, `alert_search` is a contentless FTS5 trigram index over each alert's title,
description, service and monitoring tool, and `alert_search_state` records the highest alert
number indexed. No trigger fills it (a trigger would cost every ingested alert about 50 µs);
the console indexes new alerts in chunks after they are committed (see `console.feed_search`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_severity_started", ["severity", "started_at"], unique=False
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE alert_search USING fts5("
            "body, content='', detail='none', columnsize=0, tokenize='trigram')"
        )
        op.create_table(
            "alert_search_state",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("indexed_through", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_search_state")),
        )
        op.execute("INSERT INTO alert_search_state (id, indexed_through) VALUES (1, 0)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_table("alert_search_state")
        op.execute("DROP TABLE alert_search")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_severity_started")
