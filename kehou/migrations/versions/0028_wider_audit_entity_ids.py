"""wider audit entity ids

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 07:45:00

A setting's change is audited with "<scope>:<key>" as its entity id; keys such as
``catalogue.lottery_reserved_percent`` made it longer than 40 characters, which PostgreSQL refused. On SQLite the
column is changed by rebuilding the table, which drops its append-only triggers (0002): they are made again.
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
)


def _width(old: int, new: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('entity_id', existing_type=sa.String(length=old), type_=sa.String(length=new),
                              existing_nullable=False)
    if sqlite:
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)


def upgrade() -> None:
    _width(40, 100)


def downgrade() -> None:
    _width(100, 40)
