"""no-show cases

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 06:24:17

A child's unexplained absences early in the term, the family's warning and answer, and the seat kept or
released (issue 19, no-show release).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('no_show_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('lesson_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('warned_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_no_show_case_answered_by_app_user')),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_no_show_case_closed_by_app_user')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_no_show_case_county_code_region')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_no_show_case_enrolment_id_enrolment')),
    sa.ForeignKeyConstraint(['entry_id'], ['course_entry.id'], name=op.f('fk_no_show_case_entry_id_course_entry')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_no_show_case_school_id_school')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_no_show_case_student_id_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_no_show_case'))
    )
    with op.batch_alter_table('no_show_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_no_show_case_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_no_show_case_enrolment_id'), ['enrolment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_no_show_case_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_no_show_case_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_no_show_case_student_id'), ['student_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('no_show_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_no_show_case_student_id'))
        batch_op.drop_index(batch_op.f('ix_no_show_case_status'))
        batch_op.drop_index(batch_op.f('ix_no_show_case_school_id'))
        batch_op.drop_index(batch_op.f('ix_no_show_case_enrolment_id'))
        batch_op.drop_index(batch_op.f('ix_no_show_case_county_code'))

    op.drop_table('no_show_case')
