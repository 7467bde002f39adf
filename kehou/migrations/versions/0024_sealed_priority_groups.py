"""sealed priority groups

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 06:45:00

A student's priority group (disability, left-behind, migrant, hardship) is sensitive personal information of a
minor: it moves from a plain column to a sealed one (``priority_sealed``, Fernet with the PII key), every row
sealed, also where there is none, so a dump does not show who has one (issue 20).
"""

import sqlalchemy as sa
from alembic import op

from kehou.platform import pii

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_sealed', sa.LargeBinary(), nullable=True))
    student = sa.table('student', sa.column('id', sa.Integer), sa.column('priority_group', sa.String),
                       sa.column('priority_sealed', sa.LargeBinary))
    conn, vault = op.get_bind(), pii.for_migration()
    rows = conn.execute(sa.select(student.c.id, student.c.priority_group)).all()
    for sid, group in rows:
        conn.execute(student.update().where(student.c.id == sid)
                     .values(priority_sealed=pii.seal_bytes(vault, group)))
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('priority_group')


def downgrade() -> None:
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_group', sa.String(length=20), nullable=True))
    student = sa.table('student', sa.column('id', sa.Integer), sa.column('priority_group', sa.String),
                       sa.column('priority_sealed', sa.LargeBinary))
    conn, vault = op.get_bind(), pii.for_migration()
    for sid, sealed in conn.execute(sa.select(student.c.id, student.c.priority_sealed)).all():
        conn.execute(student.update().where(student.c.id == sid)
                     .values(priority_group=(vault.open(bytes(sealed)) if sealed else "") or None))
    with op.batch_alter_table('student', schema=None) as batch_op:
        batch_op.drop_column('priority_sealed')
