"""Agreements past the county's retention period (issue 20 part 5): a child's agreement, terminated or of a term
that ended ``privacy.retention_agreement_years`` ago, loses its text, values, the guardian's label and its PDF, and
its signatures the signer's name, address and device — the database allowing that one redaction besides voiding —
while the SHA-256 of what was signed, the organisations and the dates stay; agreements between organisations stay."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from kehou.errors import Conflict, NotFound
from kehou.platform.agreements import services
from kehou.platform.agreements.models import Agreement, AgreementSignature
from kehou.platform.agreements.retention import ANONYMOUS, GONE
from kehou.platform.privacy import retention
from kehou.plugins.course_catalogue import agreements as catalogue_agreements
from kehou.plugins.course_catalogue.models import Enrolment, Menu
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World
from tests.test_agreements import sign, tripartite
from tests.test_html_pages import browser
from tests.test_privacy_at_rest import everything


def test_a_signature_may_be_redacted_once_and_nothing_else_changes(world: World) -> None:
    kid = cs.child(world, "李小明")
    sig = sign(world, "parent", tripartite(world, kid).id)
    ctx = world.ctx
    for sql in ("UPDATE agreement_signature SET signer_name = 'x', redacted_at = signed_at, pdf_sha256 = 'x'",
                "UPDATE agreement_signature SET signer_name = 'x', redacted_at = signed_at, voided_at = signed_at",
                "UPDATE agreement_signature SET signer_name = 'x'"):  # redaction keeps what was signed; it is marked
        with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="only ever voided"):
            conn.execute(text(sql))
    with ctx.db.engine.begin() as conn:
        conn.execute(text("UPDATE agreement_signature SET signer_name = '（已匿名）', ip = '', user_agent = '', "
                          "redacted_at = signed_at WHERE id = :i"), {"i": sig.id})
    with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="only ever voided"):  # once
        conn.execute(text("UPDATE agreement_signature SET signer_name = 'y', redacted_at = signed_at"))
    with ctx.db.engine.begin() as conn:  # voiding stays possible after
        conn.execute(text("UPDATE agreement_signature SET voided_at = signed_at, void_reason = 'x' WHERE id = :i"), {"i": sig.id})
    with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="only ever voided"):
        conn.execute(text("DELETE FROM agreement_signature"))


def test_a_terminated_childs_agreement_is_redacted_after_the_period(world: World) -> None:
    kid = cs.child(world, "李小明")
    a = tripartite(world, kid)
    sign(world, "parent", a.id)
    with world.ctx.db.write_session() as s:
        services.terminate(world.ctx, s, world.actor("parent"), a.id, "孩子转学")
    with world.ctx.db.read_session() as s:
        kept = s.get(Agreement, a.id)
        pdf_key, sha, signer = kept.pdf_key, kept.pdf_sha256, s.scalars(select(AgreementSignature.signer_name)).one()
    assert world.ctx.storage.exists(pdf_key) and "王芳（学生李小明的监护人）" in everything(world.ctx)
    today = clock.today_local()
    with world.ctx.db.write_session() as s:
        assert retention.run_county(world.ctx, s, COUNTY, today + dt.timedelta(days=4 * 366)) == []  # not yet
    with world.ctx.db.write_session() as s:
        done = retention.run_county(world.ctx, s, COUNTY, today + dt.timedelta(days=6 * 366))
    assert [(x.category, x.records) for x in done] == [("agreement", 1)]
    assert not world.ctx.storage.exists(pdf_key)
    with world.ctx.db.read_session() as s:
        row = s.get(Agreement, a.id)
        assert (row.text, row.values, row.pdf_key, row.pdf_sha256) == (GONE, {}, "", sha)
        assert [p["label"] for p in row.parties] == ["西湖小学", ANONYMOUS, "西湖青少年美术中心"]
        sig = s.scalars(select(AgreementSignature)).one()
        assert (sig.signer_name, sig.ip, sig.user_agent, sig.pdf_sha256) == (ANONYMOUS, "", "", sha) and signer != ANONYMOUS
    with world.ctx.db.engine.connect() as conn:  # the audit trail keeps its old values (category audit); these go
        rows = str(conn.execute(text("SELECT * FROM agreement")).all() + conn.execute(
            text("SELECT * FROM agreement_signature")).all())
    assert "王芳" not in rows and "李小明" not in rows and "pytest" not in rows
    with world.ctx.db.read_session() as s, pytest.raises(NotFound) as gone:
        services.pdf_of(world.ctx, s, world.actor("parent"), a.id)
    assert gone.value.code == "agreement_redacted"
    with browser(world.ctx, "parent") as page:
        html = page.get(f"/agreements/{a.id}").text
        assert "本协议已过保存期限" in html and 'id="pdf-link"' not in html and sha in html
    with world.ctx.db.write_session() as s:
        assert retention.run_county(world.ctx, s, COUNTY, today + dt.timedelta(days=6 * 366)) == []


def test_a_finished_terms_agreements_are_redacted_and_the_service_agreement_stays(world: World) -> None:
    cat = bs.ready(world)
    kid = cat.students["xiaoming"]
    bs.enrol(world, kid, cat.entries["calligraphy"])
    with world.ctx.db.write_session() as s:
        enrolment = s.scalars(select(Enrolment.id).where(Enrolment.student_id == kid)).one()
        row = catalogue_agreements.ensure_tripartite(world.ctx, s, world.actor("school_admin"), enrolment)
        end = s.get(Menu, cat.menu_id).term_end
    with world.ctx.db.read_session() as s:
        others = {a.id: a.text for a in s.scalars(select(Agreement).where(Agreement.student_id.is_(None)))}
    assert others and row.id not in others  # the service agreements between school and provider
    due = end.replace(year=end.year + 5)
    with world.ctx.db.write_session() as s:
        assert "agreement" not in {x.category for x in retention.run_county(world.ctx, s, COUNTY, due - dt.timedelta(days=1))}
    with world.ctx.db.write_session() as s:
        done = [(x.category, x.method, x.records) for x in retention.run_county(world.ctx, s, COUNTY, due)]
    assert ("agreement", "删除学期结束的三方协议文本、监护人姓名与签署信息", 1) in done
    with world.ctx.db.read_session() as s:
        assert s.get(Agreement, row.id).text == GONE
        assert {a.id: a.text for a in s.scalars(select(Agreement).where(Agreement.student_id.is_(None)))} == others
    with pytest.raises(Conflict) as late:
        sign(world, "parent", row.id)
    assert late.value.code == "agreement_redacted"
