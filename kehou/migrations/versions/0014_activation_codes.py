"""activation codes; guardian contacts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:36:00

Parent accounts made by a roster import have no usable password until the parent types a one-time activation
code (``activation_code``, argon2 hashes only); a guardian's mobile number, sealed, keys one parent account per
number per school (``guardian_contact``).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('activation_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('issued_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', kehou.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_activation_code_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_code'))
    )
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_code_user_id'), ['user_id'], unique=False)

    op.create_table('guardian_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('phone_enc', sa.LargeBinary(), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('phone_last4', sa.String(length=4), nullable=False),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_guardian_contact_school_id_school')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_guardian_contact_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guardian_contact')),
    sa.UniqueConstraint('school_id', 'phone_hash', name='uq_guardian_contact_school_phone'),
    sa.UniqueConstraint('user_id', name='uq_guardian_contact_user')
    )
    with op.batch_alter_table('guardian_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_guardian_contact_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_guardian_contact_school_id'), ['school_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('guardian_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guardian_contact_school_id'))
        batch_op.drop_index(batch_op.f('ix_guardian_contact_phone_hash'))

    op.drop_table('guardian_contact')
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_code_user_id'))

    op.drop_table('activation_code')
