"""documents and vetting

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 21:44:14.820690
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blacklist_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('keyed_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('imported_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_blacklist_entry_county_code_region')),
    sa.ForeignKeyConstraint(['imported_by'], ['app_user.id'], name=op.f('fk_blacklist_entry_imported_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_entry')),
    sa.UniqueConstraint('county_code', 'kind', 'keyed_hash', name=op.f('uq_blacklist_entry_county_code'))
    )
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blacklist_entry_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_blacklist_entry_keyed_hash'), ['keyed_hash'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('doc_type', sa.String(length=60), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('scope_text', sa.Text(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_document_provider_id_provider')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['app_user.id'], name=op.f('fk_document_reviewed_by_app_user')),
    sa.ForeignKeyConstraint(['staff_id'], ['provider_staff.id'], name=op.f('fk_document_staff_id_provider_staff')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'], name=op.f('fk_document_uploaded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('provider_id', 'sha256', 'doc_type', 'staff_id', name=op.f('uq_document_provider_id'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_staff_id'), ['staff_id'], unique=False)

    op.create_table('vetting_override',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=False),
    sa.Column('decided_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_vetting_override_application_id_admission_application')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_vetting_override_decided_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_override')),
    sa.UniqueConstraint('application_id', 'fingerprint', name=op.f('uq_vetting_override_application_id'))
    )
    with op.batch_alter_table('vetting_override', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_override_application_id'), ['application_id'], unique=False)

    op.create_table('vetting_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('blocks', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['admission_application.id'],
                            name=op.f('fk_vetting_run_application_id_admission_application')),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_vetting_run_county_code_region')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_vetting_run_provider_id_provider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_run'))
    )
    with op.batch_alter_table('vetting_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_run_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_run_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_run_provider_id'), ['provider_id'], unique=False)

    op.create_table('vetting_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['vetting_run.id'], name=op.f('fk_vetting_finding_run_id_vetting_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vetting_finding'))
    )
    with op.batch_alter_table('vetting_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vetting_finding_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index(batch_op.f('ix_vetting_finding_run_id'), ['run_id'], unique=False)

    # plain ADD COLUMN (no table rebuild on SQLite); defaults fill existing rows
    op.add_column('admission_application',
                  sa.Column('proposed_courses', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.add_column('whitelist_entry', sa.Column('status_reason', sa.Text(), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('whitelist_entry', schema=None) as batch_op:
        batch_op.drop_column('status_reason')

    with op.batch_alter_table('admission_application', schema=None) as batch_op:
        batch_op.drop_column('proposed_courses')

    with op.batch_alter_table('vetting_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_finding_run_id'))
        batch_op.drop_index(batch_op.f('ix_vetting_finding_fingerprint'))

    op.drop_table('vetting_finding')
    with op.batch_alter_table('vetting_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_run_provider_id'))
        batch_op.drop_index(batch_op.f('ix_vetting_run_county_code'))
        batch_op.drop_index(batch_op.f('ix_vetting_run_application_id'))

    op.drop_table('vetting_run')
    with op.batch_alter_table('vetting_override', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vetting_override_application_id'))

    op.drop_table('vetting_override')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_staff_id'))
        batch_op.drop_index(batch_op.f('ix_document_sha256'))
        batch_op.drop_index(batch_op.f('ix_document_provider_id'))

    op.drop_table('document')
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blacklist_entry_keyed_hash'))
        batch_op.drop_index(batch_op.f('ix_blacklist_entry_county_code'))

    op.drop_table('blacklist_entry')
