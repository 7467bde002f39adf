"""Children's personal information at rest (issue 20 part 3): guardian phones and priority groups never appear in
plain text in the database — not in their tables, not in the audit log — while the platform reads them as before.
Every row of every table is read back as text (SQLite: the file's bytes too) and searched."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from kehou.db import Base
from kehou.platform.audit.models import AuditEntry
from kehou.platform.audit.vocabulary import shown
from kehou.platform.context import Context
from kehou.platform.pii import open_audited
from kehou.platform.students import roster, services
from kehou.platform.students.models import PRIORITY_LABELS, Student
from tests.factories import World

PHONES = ("13957100104", "13957100204")
CSV = ("学号,姓名,年级,班级,监护人姓名,关系,监护人手机号,优先保障群体\r\n"
       f"S003,刘子涵,3,3年级1班,刘芳,母亲,{PHONES[0]},留守儿童\r\n"
       f"S003,刘子涵,3,3年级1班,刘强,父亲,{PHONES[1]},留守儿童\r\n"
       "S004,张可馨,3,3年级2班,,,,\r\n").encode()


def everything(ctx: Context) -> str:
    """Every row of every table, as text."""
    out = []
    with ctx.db.read_session() as s:
        for table in Base.metadata.sorted_tables:
            out += [repr(tuple(row)) for row in s.execute(text(f'SELECT * FROM "{table.name}"'))]
    return "\n".join(out)


def test_a_dump_shows_no_guardian_phone_and_no_priority_group(ctx: Context, world: World) -> None:
    school = world.school_ids["school"]
    with ctx.db.write_session() as s:
        roster.import_roster(ctx, s, world.actor("school_admin"), school, filename="名册.csv", data=CSV)
    with ctx.db.write_session() as s:
        kid = s.scalars(select(Student).where(Student.student_no == "S004")).one()
        services.set_priority(s, world.actor("school_admin"), kid.id, "hardship", reason="低保家庭证明")
    with ctx.db.read_session() as s:  # the platform reads them as before
        groups = dict(s.execute(select(Student.student_no, Student.priority_group)).all())
        assert groups == {"S003": "left_behind", "S004": "hardship"}
        changed = s.scalars(select(AuditEntry).where(AuditEntry.action == "student.priority")).all()
        assert [open_audited(e.new_values["priority_group"]) for e in changed] == ["hardship"]
        assert shown(changed[0].new_values["priority_group"]) == "（已加密）"
    dump = everything(ctx)
    assert "S003" in dump and "刘子涵" in dump  # the search does see the rows
    secrets = [*PHONES, *PRIORITY_LABELS, *PRIORITY_LABELS.values()]
    assert [x for x in secrets if x in dump] == []
    url = ctx.settings.database.url
    if url.startswith("sqlite:///"):
        raw = Path(url.removeprefix("sqlite:///")).read_bytes()
        assert [x for x in secrets if x.encode() in raw] == []
