"""rate events for public writes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 00:25:51

Public complaints and provider self-registration are limited per address (``kehou.platform.ratelimit``): each
counted submission is a ``rate_event`` row, removed a day later.
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_event'))
    )
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_event_at'), ['at'], unique=False)
        batch_op.create_index('ix_rate_event_kind_key_at', ['kind', 'key', 'at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('rate_event', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_event_kind_key_at')
        batch_op.drop_index(batch_op.f('ix_rate_event_at'))

    op.drop_table('rate_event')
