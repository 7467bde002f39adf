"""working-day calendar as data: known years and their holidays and adjusted working days

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:45:00

The rows are entered after the upgrade by ``kehou migrate`` (from the chinesecalendar package, for the years it
knows) and by the platform admin (the years it does not know yet).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    op.create_table('calendar_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=6), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_day')),
    sa.UniqueConstraint('scope', 'day', name=op.f('uq_calendar_day_scope'))
    )
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_day_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_day_scope'), ['scope'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_day_scope'))
        batch_op.drop_index(batch_op.f('ix_calendar_day_day'))
    op.drop_table('calendar_day')
    op.drop_table('calendar_year')
