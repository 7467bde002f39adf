"""retention records and staff anonymised

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 09:20:41

The retention job sweeps more categories record by record (participation, billing, feedback, staff, logs): each
step counts the records it emptied or removed (``retention_action.records``), and an instructor anonymised after the
provider's admission ended is marked (``provider_staff.anonymised_at``). Neither table has triggers.
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('provider_staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', kehou.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('retention_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('records', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('retention_action', schema=None) as batch_op:
        batch_op.drop_column('records')
    with op.batch_alter_table('provider_staff', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
