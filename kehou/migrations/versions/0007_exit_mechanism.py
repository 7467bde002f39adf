"""exit mechanism: exit cases, their steps, blacklist periods

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 06:40:00
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exit_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('grounds', sa.JSON(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('proposal_key', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('rectify_by', sa.Date(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('appeal_by', sa.Date(), nullable=True),
    sa.Column('appeal', sa.Text(), nullable=False),
    sa.Column('appeal_decide_by', sa.Date(), nullable=True),
    sa.Column('appeal_decision', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=True),
    sa.Column('blacklist_until', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['county_code'], ['region.code'], name=op.f('fk_exit_case_county_code_region')),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], name=op.f('fk_exit_case_provider_id_provider')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_exit_case_decided_by_app_user')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_exit_case_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exit_case')),
    sa.UniqueConstraint('proposal_key', name=op.f('uq_exit_case_proposal_key'))
    )
    with op.batch_alter_table('exit_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_case_county_code'), ['county_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_exit_case_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exit_case_status'), ['status'], unique=False)

    op.create_table('exit_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', kehou.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['exit_case.id'], name=op.f('fk_exit_step_case_id_exit_case')),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_exit_step_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exit_step'))
    )
    with op.batch_alter_table('exit_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exit_step_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('exit_case_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_blacklist_entry_exit_case_id_exit_case'), 'exit_case',
                                    ['exit_case_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('blacklist_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_blacklist_entry_exit_case_id_exit_case'), type_='foreignkey')
        batch_op.drop_column('exit_case_id')
        batch_op.drop_column('expires_on')
    with op.batch_alter_table('exit_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_step_case_id'))
    op.drop_table('exit_step')
    with op.batch_alter_table('exit_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exit_case_status'))
        batch_op.drop_index(batch_op.f('ix_exit_case_provider_id'))
        batch_op.drop_index(batch_op.f('ix_exit_case_county_code'))
    op.drop_table('exit_case')
