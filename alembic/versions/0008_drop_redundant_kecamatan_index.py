"""cases: drop ix_cases_kecamatan_code, which ix_cases_kecamatan_created already serves

Every lookup by kecamatan (digests, statistics, the dashboard) is an equality on the leading
column of `ix_cases_kecamatan_created (kecamatan_code, created_at)`, so the single-column index
only cost a write on every case update: the sweep's UPDATE changes the deadline, which is
indexed, so each update writes a new entry into every index of the table.

Revision ID: 0008_drop_kec_index
Revises: 0007_intake
Create Date: 2026-12-04 15:00:00

"""

from typing import Sequence, Union

from alembic import op

revision: str = "0008_drop_kec_index"
down_revision: Union[str, Sequence[str], None] = "0007_intake"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_kecamatan_code")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_kecamatan_code", ["kecamatan_code"], unique=False)
