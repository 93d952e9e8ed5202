"""delivery: ix_outbox_pending_chat, lease owners, the instances table

The outbox claim (bot/messaging/claims.py) no longer groups every pending row by chat: it walks the
due rows (ix_outbox_status_next_attempt) and asks, per row, whether an older pending row of its
chat holds it back, through the partial index ix_outbox_pending_chat. Leases of the outbox and
the inbox name the instance holding them (`lease_owner`); `instances` keeps each running
instance's heartbeat, so a dead instance's leases are taken over within seconds
(bot/messaging/instances.py).

Revision ID: 0003_delivery
Revises: 0002
Create Date: 2026-12-02 19:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0003_delivery"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = "status = 'pending'"


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("heartbeat_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_outbox_pending_chat",
        "outbox",
        ["channel", "chat_id", "id", "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text(PENDING),
        sqlite_where=sa.text(PENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_chat", table_name="outbox")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("lease_owner")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lease_owner")
    op.drop_table("instances")
