"""intake: where a case came from (laporan_warga / dicatat_kader), its source, victim details

A cadre who records a case met in the field (issue 18) stores who told them, how, whether that
person may be contacted, and optionally their name and phone (encrypted); SIMFONI-PPA's age in
years and disability flag are optional for every case. Existing cases came through the bot.

Revision ID: 0007_intake
Revises: 0006_dashboard
Create Date: 2026-12-03 06:30:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007_intake"
down_revision: Union[str, Sequence[str], None] = "0006_dashboard"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source", sa.String(length=16), nullable=False, server_default="laporan_warga"
            )
        )
        batch_op.add_column(sa.Column("source_teller", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_means", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("source_consent", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("source_contact", models.base.EncryptedJSON(), nullable=True)
        )
        batch_op.add_column(sa.Column("victim_age_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("victim_disability", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("victim_disability")
        batch_op.drop_column("victim_age_years")
        batch_op.drop_column("source_contact")
        batch_op.drop_column("source_consent")
        batch_op.drop_column("source_means")
        batch_op.drop_column("source_teller")
        batch_op.drop_column("source")
