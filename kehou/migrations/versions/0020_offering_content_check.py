"""offering content check

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 03:39:41

An offering keeps the automatic content check's outcome (``content_check``: pass, warn or block) and, for a
blocked one the provider asked a person to decide, its case (``review_request``). Offerings made before this
read as ``pass``: their warnings stay in ``review_reason`` as before.
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('course_offering', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_check', sa.String(length=10), server_default='pass', nullable=False))
        batch_op.add_column(sa.Column('review_request', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('course_offering', schema=None) as batch_op:
        batch_op.drop_column('review_request')
        batch_op.drop_column('content_check')
