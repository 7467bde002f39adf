"""objections dismissed as invalid

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:20:00

A reviewer may mark public objections as invalid (a flood, duplicates, unrelated content) with a reason: they
count as answered and not upheld, flagged ``spam`` (kehou/platform/admission/notice.py ``dismiss``).
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('admission_objection') as batch:
        batch.add_column(sa.Column('spam', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('admission_objection') as batch:
        batch.drop_column('spam')
