"""late check-in reason

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 00:50:00

A check-in after the county's grace period past a lesson's start needs a reason (``lesson.late_reason``),
shown to the school.
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late_reason', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('late_reason')

