"""hostile runtime: an index for the per-chat flood limit (inbox rows of a chat handled lately)

Revision ID: 0005_inbound_limits
Revises: 0004_rejected_inbound
Create Date: 2026-12-03 06:45:00

"""

from typing import Sequence, Union

from alembic import op

revision: str = "0005_inbound_limits"
down_revision: Union[str, Sequence[str], None] = "0004_rejected_inbound"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_inbox_chat_handled", "inbox", ["chat_key", "handled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_chat_handled", table_name="inbox")
