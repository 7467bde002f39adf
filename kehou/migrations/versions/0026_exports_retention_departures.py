"""exports retention departures

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 06:53:51

Bulk exports of children's data with their approvals, the retention job's log, and a student's departure from
school (from which retention counts) (issue 20).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('retention_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('method', sa.String(length=60), nullable=False),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('student_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_retention_action_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_action'))
    )
    with op.batch_alter_table('retention_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_action_county_code'), ['county_code'], unique=False)

    op.create_table('data_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('downloaded_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('watermark', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['app_user.id'], name=op.f('fk_data_export_approved_by_app_user')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_data_export_county_code_region')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_data_export_requested_by_app_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_data_export_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_export'))
    )
    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_export_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_export_requested_by'), ['requested_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_export_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_export_status'), ['status'], unique=False)

    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_reason', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('anonymised_at', kehou.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('left_reason')
        batch_op.drop_column('left_on')

    with op.batch_alter_table('data_export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_export_status'))
        batch_op.drop_index(batch_op.f('ix_data_export_school_id'))
        batch_op.drop_index(batch_op.f('ix_data_export_requested_by'))
        batch_op.drop_index(batch_op.f('ix_data_export_county_code'))

    op.drop_table('data_export')
    with op.batch_alter_table('retention_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_action_county_code'))

    op.drop_table('retention_action')
