"""dashboard: one-time sign-in links, browser sessions, the access log; period indexes on cases

`/dasbor` sends a one-time link whose hash is kept in `dashboard_links`; opening it starts a
server-side session (`dashboard_sessions`, ended by `/dasbor keluar`). `access_events` records
sign-ins, refusals and downloads (bot/admin/audit.py). Statistics read a period of cases, so cases get
indexes on `created_at` and on `(kecamatan_code, created_at)`.

Revision ID: 0006_dashboard
Revises: 0005_inbound_limits
Create Date: 2026-12-03 06:30:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006_dashboard"
down_revision: Union[str, Sequence[str], None] = "0005_inbound_limits"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _token_table(name: str, last: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(last, models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f(f"fk_{name}_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    )
    op.create_index(op.f(f"ix_{name}_staff_id"), name, ["staff_id"], unique=False)


def upgrade() -> None:
    _token_table("dashboard_links", "used_at")
    _token_table("dashboard_sessions", "ended_at")
    op.create_table(
        "access_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_access_events_staff_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    op.create_index("ix_access_events_at", "access_events", ["at"], unique=False)
    op.create_index("ix_cases_created", "cases", ["created_at"], unique=False)
    op.create_index(
        "ix_cases_kecamatan_created", "cases", ["kecamatan_code", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_cases_kecamatan_created", table_name="cases")
    op.drop_index("ix_cases_created", table_name="cases")
    op.drop_index("ix_access_events_at", table_name="access_events")
    op.drop_table("access_events")
    for name in ("dashboard_sessions", "dashboard_links"):
        op.drop_index(op.f(f"ix_{name}_staff_id"), table_name=name)
        op.drop_table(name)
