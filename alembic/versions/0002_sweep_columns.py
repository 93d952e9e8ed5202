"""sweep columns: cases.accept_misses, cases.reminded_at, partial index ix_cases_open_due

ix_case_events_kind goes: no query reads events by kind without the case (ix_case_events_case_at
serves those), and every sweep batch inserts into it. ix_cases_open_due replaces
ix_cases_status_due_at: with both, PostgreSQL claimed due cases
through (status, due_at) and sorted every due row; open-case lists and counts use the partial
index (models.case.OPEN_CASE).

The sweep used to read each due case's history (escalated and reminder_sent events) to know
how many acceptance deadlines were missed and when the last reminder went out. Those two facts
now live on the case; the backfill derives them from the existing events so an upgraded
database plans the same deadlines as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:30:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OPEN = "status IN ('baru', 'ditugaskan', 'diterima', 'ditangani', 'dirujuk')"


def _rule(dialect: str) -> str:
    """The `rule` key of case_events.data (JSON) as text, per backend."""
    if dialect == "postgresql":
        return "(e.data ->> 'rule')"
    return "json_extract(e.data, '$.rule')"


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("accept_misses", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("reminded_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_cases_open_due",
        "cases",
        ["due_at", "id"],
        unique=False,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )
    op.drop_index("ix_cases_status_due_at", table_name="cases")
    rule = _rule(op.get_bind().dialect.name)
    # Missed acceptance deadlines: every `escalated` event of rule accept_timeout, ever.
    op.execute(
        "UPDATE cases SET accept_misses = ("
        " SELECT count(*) FROM case_events e"
        f" WHERE e.case_id = cases.id AND e.kind = 'escalated' AND {rule} = 'accept_timeout')"
        " WHERE id IN (SELECT case_id FROM case_events WHERE kind = 'escalated')"
    )
    # The last reminder of the rule that belongs to the case's current status.
    op.execute(
        "UPDATE cases SET reminded_at = ("
        " SELECT max(e.at) FROM case_events e"
        f" WHERE e.case_id = cases.id AND e.kind = 'reminder_sent' AND {rule} ="
        " CASE WHEN cases.status = 'dirujuk' THEN 'referral' ELSE 'no_update' END)"
        " WHERE status IN ('diterima', 'ditangani', 'dirujuk')"
        " AND id IN (SELECT case_id FROM case_events WHERE kind = 'reminder_sent')"
    )
    # New cases nobody could be given to had no deadline; now the sweep retries their routing.
    # Due at once (their creation), so the first sweep after the upgrade tries again.
    op.execute(
        "UPDATE cases SET due_kind = 'route', due_at = created_at"
        " WHERE status = 'baru' AND assignee_id IS NULL AND due_at IS NULL"
    )
    # After the backfill, which reads events by kind.
    op.drop_index("ix_case_events_kind", table_name="case_events")


def downgrade() -> None:
    op.create_index("ix_case_events_kind", "case_events", ["kind"], unique=False)
    op.create_index("ix_cases_status_due_at", "cases", ["status", "due_at"], unique=False)
    op.drop_index("ix_cases_open_due", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("accept_misses")
