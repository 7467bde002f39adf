"""core platform

Revision ID: 0001
Revises:
Create Date: 2026-11-23 20:58:40.354533
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('old_values', sa.JSON(), nullable=True),
    sa.Column('new_values', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry')),
    sa.UniqueConstraint('county_code', 'seq', name=op.f('uq_audit_entry_county_code'))
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_county_code'), ['county_code'], unique=False)

    op.create_table('audit_head',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('county_code', name=op.f('pk_audit_head'))
    )
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempt_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_ip'), ['ip'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempt_username'), ['username'], unique=False)

    op.create_table('provider',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('org_type', sa.String(length=40), nullable=False),
    sa.Column('legal_rep_name', sa.String(length=100), nullable=False),
    sa.Column('legal_rep_id_enc', sa.LargeBinary(), nullable=False),
    sa.Column('legal_rep_id_hash', sa.String(length=64), nullable=False),
    sa.Column('legal_rep_id_last4', sa.String(length=4), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=30), nullable=False),
    sa.Column('contact_email', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('national_platform_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider')),
    sa.UniqueConstraint('uscc', name=op.f('uq_provider_uscc'))
    )
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_legal_rep_id_hash'), ['legal_rep_id_hash'], unique=False)

    op.create_table('region',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=6), nullable=True),
    sa.CheckConstraint('length(code) = 6', name=op.f('ck_region_code_len')),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], name=op.f('fk_region_parent_code_region')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_parent_code'), ['parent_code'], unique=False)

    op.create_table('setting_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=6), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_value')),
    sa.UniqueConstraint('scope', 'key', 'effective_from', name=op.f('uq_setting_value_scope'))
    )
    with op.batch_alter_table('setting_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_setting_value_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_setting_value_scope'), ['scope'], unique=False)

    op.create_table('provider_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number_enc', sa.LargeBinary(), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=False),
    sa.Column('id_number_last4', sa.String(length=4), nullable=False),
    sa.Column('qualification_type', sa.String(length=40), nullable=False),
    sa.Column('qualification_number', sa.String(length=100), nullable=False),
    sa.Column('criminal_record_issued_on', sa.Date(), nullable=False),
    sa.Column('is_serving_teacher', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_provider_staff_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_staff'))
    )
    with op.batch_alter_table('provider_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_staff_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_provider_staff_provider_id'), ['provider_id'], unique=False)

    op.create_table('school',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('student_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_school_county_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_school'))
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_school_county_code'), ['county_code'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('department', sa.String(length=40), nullable=True),
    sa.Column('can_review', sa.Boolean(), nullable=False),
    sa.Column('can_decide', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_app_user_county_code_region')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_app_user_provider_id_provider')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_app_user_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_role'), ['role'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_school_id'), ['school_id'], unique=False)

    op.create_table('admission_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('return_message', sa.Text(), nullable=True),
    sa.Column('notice_start', sa.Date(), nullable=True),
    sa.Column('notice_end', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_admission_application_county_code_region')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_admission_application_decided_by_app_user')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_admission_application_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_application'))
    )
    with op.batch_alter_table('admission_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_application_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_admission_application_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_admission_application_status'), ['status'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('admission_objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('contact', sa.String(length=100), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('filed_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('upheld', sa.Boolean(), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_admission_objection_answered_by_app_user')),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_admission_objection_application_id_admission_application')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_objection'))
    )
    with op.batch_alter_table('admission_objection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_objection_application_id'), ['application_id'], unique=False)

    op.create_table('admission_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('internal_note', sa.Text(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_admission_review_application_id_admission_application')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['app_user.id'], name=op.f('fk_admission_review_reviewer_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_review')),
    sa.UniqueConstraint('application_id', 'reviewer_id', name=op.f('uq_admission_review_application_id'))
    )
    with op.batch_alter_table('admission_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_review_application_id'), ['application_id'], unique=False)

    op.create_table('admission_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_admission_signoff_application_id_admission_application')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_admission_signoff_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_signoff')),
    sa.UniqueConstraint('application_id', 'department', name=op.f('uq_admission_signoff_application_id'))
    )
    with op.batch_alter_table('admission_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_signoff_application_id'), ['application_id'], unique=False)

    op.create_table('whitelist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_whitelist_entry_application_id_admission_application')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_whitelist_entry_county_code_region')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_whitelist_entry_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_whitelist_entry')),
    sa.UniqueConstraint('provider_id', 'county_code', name=op.f('uq_whitelist_entry_provider_id'))
    )
    with op.batch_alter_table('whitelist_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_whitelist_entry_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_whitelist_entry_provider_id'), ['provider_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('whitelist_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_whitelist_entry_provider_id'))
        batch_op.drop_index(batch_op.f('ix_whitelist_entry_county_code'))

    op.drop_table('whitelist_entry')
    with op.batch_alter_table('admission_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admission_signoff_application_id'))

    op.drop_table('admission_signoff')
    with op.batch_alter_table('admission_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admission_review_application_id'))

    op.drop_table('admission_review')
    with op.batch_alter_table('admission_objection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admission_objection_application_id'))

    op.drop_table('admission_objection')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))

    op.drop_table('notification')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('admission_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admission_application_status'))
        batch_op.drop_index(batch_op.f('ix_admission_application_provider_id'))
        batch_op.drop_index(batch_op.f('ix_admission_application_county_code'))

    op.drop_table('admission_application')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_school_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_role'))
        batch_op.drop_index(batch_op.f('ix_app_user_provider_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_county_code'))

    op.drop_table('app_user')
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_school_county_code'))

    op.drop_table('school')
    with op.batch_alter_table('provider_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_staff_provider_id'))
        batch_op.drop_index(batch_op.f('ix_provider_staff_id_number_hash'))

    op.drop_table('provider_staff')
    with op.batch_alter_table('setting_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_setting_value_scope'))
        batch_op.drop_index(batch_op.f('ix_setting_value_key'))

    op.drop_table('setting_value')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_code'))

    op.drop_table('region')
    with op.batch_alter_table('provider', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_legal_rep_id_hash'))

    op.drop_table('provider')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempt_username'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_ip'))
        batch_op.drop_index(batch_op.f('ix_login_attempt_at'))

    op.drop_table('login_attempt')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_county_code'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')

