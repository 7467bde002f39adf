"""agreement redaction

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 09:40:00

Past the county's retention period for agreements, a child's agreement loses its text, values, the family's names
and its PDF (the PDF's SHA-256 stays), and its signatures lose the signer's name, address and device. A signature
row was void-only (0006); the guard now also allows that one redaction, once, leaving every other signed column
and the voiding as they were. Triggers are made again on both backends (a SQLite table rebuild in the downgrade
drops them).
"""

import sqlalchemy as sa
from alembic import op

import kehou.db

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

MESSAGE = "agreement_signature: signatures are only ever voided, never changed or deleted"
SIGNED = ("id", "agreement_id", "party_role", "party_ref", "user_id", "signer_name", "signed_at", "ip", "user_agent",
          "pdf_sha256")
REDACTABLE = ("signer_name", "ip", "user_agent")


def _same(columns: tuple[str, ...], pg: bool) -> str:
    eq = "IS NOT DISTINCT FROM" if pg else "IS"
    return " AND ".join(f"NEW.{c} {eq} OLD.{c}" for c in columns)


def _allowed(pg: bool, redaction: bool) -> str:
    """The changes a signature may undergo: voiding once (0006) and, with this revision, redaction once."""
    eq = "IS NOT DISTINCT FROM" if pg else "IS"
    void = (f"(OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL AND {_same(SIGNED, pg)}"
            + (f" AND NEW.redacted_at {eq} OLD.redacted_at)" if redaction else ")"))
    if not redaction:
        return void
    fixed = tuple(c for c in SIGNED if c not in REDACTABLE) + ("voided_at", "void_reason")
    return f"{void} OR (OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL AND {_same(fixed, pg)})"


def _guards(redaction: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
CREATE OR REPLACE FUNCTION kehou_signature_void_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NOT ({_allowed(True, redaction)}) THEN
        RAISE EXCEPTION '{MESSAGE}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""")
        op.execute("DROP TRIGGER IF EXISTS agreement_signature_void_only ON agreement_signature")
        op.execute("CREATE TRIGGER agreement_signature_void_only BEFORE UPDATE OR DELETE ON agreement_signature "
                   "FOR EACH ROW EXECUTE FUNCTION kehou_signature_void_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS agreement_signature_void_only")
        op.execute("DROP TRIGGER IF EXISTS agreement_signature_no_delete")
        op.execute(f"CREATE TRIGGER agreement_signature_void_only BEFORE UPDATE ON agreement_signature "
                   f"WHEN NOT ({_allowed(False, redaction)}) BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        op.execute(f"CREATE TRIGGER agreement_signature_no_delete BEFORE DELETE ON agreement_signature "
                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def upgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redacted_at', kehou.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redacted_at', kehou.db.UTCDateTime(timezone=True), nullable=True))
    _guards(redaction=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # the rebuild below must not meet the guard
        op.execute("DROP TRIGGER IF EXISTS agreement_signature_void_only")
        op.execute("DROP TRIGGER IF EXISTS agreement_signature_no_delete")
    with op.batch_alter_table('agreement_signature', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_column('redacted_at')
    _guards(redaction=False)
