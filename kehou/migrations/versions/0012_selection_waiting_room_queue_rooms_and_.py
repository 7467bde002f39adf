"""selection waiting room: queue rooms and tickets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:55:00

One room per menu whose first-come selection opens with a waiting room; one ticket per parent and room.
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('selection_queue',
    sa.Column('menu_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('drawn_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('early', sa.Integer(), nullable=False),
    sa.Column('last_position', sa.Integer(), nullable=False),
    sa.Column('admit_per_minute', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_selection_queue_county_code_region')),
    sa.ForeignKeyConstraint(['menu_id'], ['course_menu.id'], name=op.f('fk_selection_queue_menu_id_course_menu')),
    sa.PrimaryKeyConstraint('menu_id', name=op.f('pk_selection_queue'))
    )
    with op.batch_alter_table('selection_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_queue_county_code'), ['county_code'], unique=False)

    op.create_table('selection_queue_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('menu_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('admitted_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['menu_id'], ['selection_queue.menu_id'],
                            name=op.f('fk_selection_queue_ticket_menu_id_selection_queue')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_selection_queue_ticket_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_queue_ticket')),
    sa.UniqueConstraint('menu_id', 'position', name='uq_selection_queue_ticket_menu_position'),
    sa.UniqueConstraint('menu_id', 'user_id', name='uq_selection_queue_ticket_menu_user')
    )
    with op.batch_alter_table('selection_queue_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_queue_ticket_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('selection_queue_ticket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_queue_ticket_user_id'))

    op.drop_table('selection_queue_ticket')
    with op.batch_alter_table('selection_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_queue_county_code'))

    op.drop_table('selection_queue')
