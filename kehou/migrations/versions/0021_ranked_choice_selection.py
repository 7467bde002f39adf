"""ranked choice selection

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 04:05:00

A menu's selection mode (first come, or ranked choices allocated after a draw) with the draw's seed and its
published commitment, and the families' ranked choices (issue 19).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ranked_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('menu_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('saved_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['course_entry.id'], name=op.f('fk_ranked_choice_entry_id_course_entry')),
    sa.ForeignKeyConstraint(['menu_id'], ['course_menu.id'], name=op.f('fk_ranked_choice_menu_id_course_menu')),
    sa.ForeignKeyConstraint(['saved_by'], ['app_user.id'], name=op.f('fk_ranked_choice_saved_by_app_user')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_ranked_choice_student_id_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranked_choice')),
    sa.UniqueConstraint('menu_id', 'student_id', 'entry_id', name='uq_ranked_choice_entry'),
    sa.UniqueConstraint('menu_id', 'student_id', 'rank', name='uq_ranked_choice_rank')
    )
    with op.batch_alter_table('ranked_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ranked_choice_menu_id'), ['menu_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ranked_choice_student_id'), ['student_id'], unique=False)

    with op.batch_alter_table('course_menu', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selection_mode', sa.String(length=20), server_default='first_come', nullable=False))
        batch_op.add_column(sa.Column('draw_seed', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('draw_commitment', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('draw_revealed_at', kehou.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('course_menu', schema=None) as batch_op:
        batch_op.drop_column('draw_revealed_at')
        batch_op.drop_column('draw_commitment')
        batch_op.drop_column('draw_seed')
        batch_op.drop_column('selection_mode')

    with op.batch_alter_table('ranked_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ranked_choice_student_id'))
        batch_op.drop_index(batch_op.f('ix_ranked_choice_menu_id'))

    op.drop_table('ranked_choice')
