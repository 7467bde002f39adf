"""child access log and sealed complaint phones

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 06:38:14

Every view of a child's record by staff or a provider is logged (``child_access``); a complainant's phone (usually
a guardian's) is sealed at rest like guardian phones (issue 20).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db
from kehou.platform import pii

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'child_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_role', sa.String(length=20), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=True),
        sa.Column('county_code', sa.String(length=6), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=60), nullable=False),
        sa.Column('purpose', sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_child_access_actor_id_app_user')),
        sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_child_access_county_code_region')),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_child_access_provider_id_provider')),
        sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_child_access_student_id_student')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_child_access')))
    with op.batch_alter_table('child_access', schema=None) as batch_op:
        batch_op.create_index('ix_child_access_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_access_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_access_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_access_student_id'), ['student_id'], unique=False)

    with op.batch_alter_table('outcome_complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone_sealed', sa.LargeBinary(), nullable=True))
    complaint = sa.table('outcome_complaint', sa.column('id', sa.Integer), sa.column('contact_phone', sa.String),
                         sa.column('contact_phone_sealed', sa.LargeBinary))
    conn, vault = op.get_bind(), pii.for_migration()
    for cid, phone in conn.execute(sa.select(complaint.c.id, complaint.c.contact_phone)).all():
        conn.execute(complaint.update().where(complaint.c.id == cid).values(contact_phone_sealed=pii.seal_bytes(vault, phone)))
    with op.batch_alter_table('outcome_complaint', schema=None) as batch_op:
        batch_op.alter_column('contact_phone_sealed', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('contact_phone')


def downgrade() -> None:
    with op.batch_alter_table('outcome_complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), nullable=False, server_default=''))
    complaint = sa.table('outcome_complaint', sa.column('id', sa.Integer), sa.column('contact_phone', sa.String),
                         sa.column('contact_phone_sealed', sa.LargeBinary))
    conn, vault = op.get_bind(), pii.for_migration()
    for cid, sealed in conn.execute(sa.select(complaint.c.id, complaint.c.contact_phone_sealed)).all():
        conn.execute(complaint.update().where(complaint.c.id == cid)
                     .values(contact_phone=vault.open(bytes(sealed)) if sealed else ""))
    with op.batch_alter_table('outcome_complaint', schema=None) as batch_op:
        batch_op.drop_column('contact_phone_sealed')
    with op.batch_alter_table('child_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_child_access_student_id'))
        batch_op.drop_index(batch_op.f('ix_child_access_county_code'))
        batch_op.drop_index(batch_op.f('ix_child_access_at'))
        batch_op.drop_index('ix_child_access_actor_at')
    op.drop_table('child_access')
