"""audit chain heads only move forward: the database refuses deleting a head or rewinding it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 18:40:00

Like the entries (0002), the heads are guarded below the application: a DELETE, a TRUNCATE or an UPDATE that
does not raise ``last_seq`` (or renames the chain) is refused. A DBA who switches these off too is caught by the
signed checkpoints (kehou/platform/audit/anchor.py).
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION kehou_audit_head_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.county_code <> OLD.county_code OR NEW.last_seq <= OLD.last_seq THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute("CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head "
                   "FOR EACH ROW EXECUTE FUNCTION kehou_audit_head_forward_only()")
        op.execute("CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
                   "FOR EACH STATEMENT EXECUTE FUNCTION kehou_audit_head_forward_only()")
    else:
        op.execute("CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
                   "WHEN NEW.last_seq <= OLD.last_seq OR NEW.county_code <> OLD.county_code "
                   "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END")
        op.execute("CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
                   "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP FUNCTION IF EXISTS kehou_audit_head_forward_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only")
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
