"""rejected_inbound: webhook parts refused at the edge (reason, bounded encrypted excerpt)

Revision ID: 0004_rejected_inbound
Revises: 0003_evidence
Create Date: 2026-12-03 06:45:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004_rejected_inbound"
down_revision: Union[str, Sequence[str], None] = "0003_evidence"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "rejected_inbound",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("part", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("excerpt", models.base.EncryptedText(), nullable=True),
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_inbound")),
    )
    op.create_index(
        op.f("ix_rejected_inbound_received_at"), "rejected_inbound", ["received_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rejected_inbound_received_at"), table_name="rejected_inbound")
    op.drop_table("rejected_inbound")
