"""evidence: case_evidence (encrypted files of a case), case_followups (the question after closing)

Revision ID: 0003_evidence
Revises: 0002
Create Date: 2026-12-02 19:00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0003_evidence"
down_revision: Union[str, Sequence[str], None] = "0003_delivery"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("file_ref", models.base.EncryptedText(), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("content", models.base.EncryptedBlob(), nullable=True),
        sa.Column("caption", models.base.EncryptedText(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stored_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_evidence_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence")),
        sa.UniqueConstraint(
            "case_id", "position", name=op.f("uq_case_evidence_case_id_position")
        ),
    )
    op.create_index(
        "ix_case_evidence_status_next", "case_evidence", ["status", "next_attempt_at"]
    )
    op.create_index(op.f("ix_case_evidence_case_id"), "case_evidence", ["case_id"])
    op.create_table(
        "case_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("answer", sa.String(length=12), nullable=True),
        sa.Column("note", models.base.EncryptedText(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_followups_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_followups")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_followups_case_id")),
    )


def downgrade() -> None:
    op.drop_table("case_followups")
    op.drop_index(op.f("ix_case_evidence_case_id"), table_name="case_evidence")
    op.drop_index("ix_case_evidence_status_next", table_name="case_evidence")
    op.drop_table("case_evidence")
