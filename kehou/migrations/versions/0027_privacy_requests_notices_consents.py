"""privacy requests notices consents

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 07:13:02

Parents' requests about their children's information, the counties' privacy notices and the guardians'
consents (issue 20).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('notice_version', sa.Integer(), nullable=False),
    sa.Column('given_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_consent_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent'))
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_county_code'), ['county_code'], unique=False)
        batch_op.create_index('ix_consent_user_scope', ['user_id', 'scope'], unique=False)

    op.create_table('privacy_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_privacy_notice_county_code_region')),
    sa.ForeignKeyConstraint(['published_by'], ['app_user.id'], name=op.f('fk_privacy_notice_published_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notice')),
    sa.UniqueConstraint('county_code', 'version', name='uq_privacy_notice_version')
    )
    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_notice_county_code'), ['county_code'], unique=False)

    op.create_table('privacy_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_privacy_request_answered_by_app_user')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_privacy_request_county_code_region')),
    sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'], name=op.f('fk_privacy_request_requested_by_app_user')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_privacy_request_school_id_school')),
    sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_privacy_request_student_id_student')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request'))
    )
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_request_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_request_requested_by'), ['requested_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_request_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_request_student_id'), ['student_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_request_student_id'))
        batch_op.drop_index(batch_op.f('ix_privacy_request_status'))
        batch_op.drop_index(batch_op.f('ix_privacy_request_school_id'))
        batch_op.drop_index(batch_op.f('ix_privacy_request_requested_by'))
        batch_op.drop_index(batch_op.f('ix_privacy_request_county_code'))

    op.drop_table('privacy_request')
    with op.batch_alter_table('privacy_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_notice_county_code'))

    op.drop_table('privacy_notice')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_user_scope')
        batch_op.drop_index(batch_op.f('ix_consent_county_code'))

    op.drop_table('consent')
