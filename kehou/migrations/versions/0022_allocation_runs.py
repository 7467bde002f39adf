"""allocation runs

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 04:12:00

Each allocation of a ranked-lottery menu with every decision and its reason (issue 19).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allocation_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('menu_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('refs', sa.JSON(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('published_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_allocation_run_created_by_app_user')),
    sa.ForeignKeyConstraint(['menu_id'], ['course_menu.id'], name=op.f('fk_allocation_run_menu_id_course_menu')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_run'))
    )
    with op.batch_alter_table('allocation_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_run_menu_id'), ['menu_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('allocation_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_run_menu_id'))

    op.drop_table('allocation_run')
