"""Agreements: rendering (Chinese PDF, same text → same bytes), templates, signing bound to one wording,
voiding on a changed text, each party's role, termination, renewal, concurrency, the admission agreement.
Every test ends with the audit chain verified."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pypdf
import pytest
from sqlalchemy import func, select, text

from kehou.errors import Conflict, KehouError, NotAuthenticated, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.accounts import services as accounts
from kehou.platform.actor import Actor
from kehou.platform.admission import decision
from kehou.platform.agreements import render, services
from kehou.platform.agreements import templates as tpl
from kehou.platform.agreements.models import Agreement, AgreementSignature
from kehou.platform.agreements.services import Party
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from tests import catalogue_setup as cs
from tests.factories import COUNTY, OTHER_COUNTY, PASSWORD, SYSTEM, World
from tests.test_catalogue_concurrency import race

TERM = "2026-2027学年第一学期"
VALUES = {
    "parent_name": "王芳", "course": "少儿软笔书法（优秀传统文化），授课人员：王老师",
    "schedule": "每周一 16:00-17:00，西湖小学书法教室", "fee": "每学期320元（16课时，每课时20元）",
    "materials": "笔墨纸砚材料费40元，据实收取", "refund_rule": "退费规则第3版：开课前全额退费；开课后按未上课时比例退费。",
}


@pytest.fixture(autouse=True)
def audit_chain_verifies(ctx: Context) -> Iterator[None]:
    yield
    with ctx.db.read_session() as s:
        _checked, problems = audit.verify(s)
    assert problems == []


@pytest.fixture
def family(world: World) -> dict[str, Any]:
    """A child of ``parent`` at ``school``; a second family (``parent2``) at the same school; school
    administrators of ``school`` (a second one) and of ``other_school``."""
    with world.ctx.db.write_session() as s:
        for key, role, county, school in (("other_school_admin", "school_admin", OTHER_COUNTY, "other_school"),
                                          ("school_admin2", "school_admin", COUNTY, "school")):
            world.users[key] = accounts.create_user(s, SYSTEM, username=key, display_name=key, password=PASSWORD, role=role,
                                                    county_code=county, school_id=world.school_ids[school])
    kid = cs.child(world, "李小明")
    other_kid = cs.child(world, "赵小红", parent="parent2", new_parent=True)
    return {"kid": kid, "other_kid": other_kid}


def parties(world: World, kid: int) -> list[Party]:
    return [Party("school", str(world.school_ids["school"]), "西湖小学"),
            Party("parent", str(kid), "王芳（学生李小明的监护人）"),
            Party("provider", str(world.provider_ids["provider"]), "西湖青少年美术中心")]


def subject(world: World, kid: int, term: str = TERM) -> str:
    return f"tripartite:{kid}:{world.provider_ids['provider']}:{term}"


def tripartite(world: World, kid: int, values: dict[str, str] | None = None, **kw: Any) -> Agreement:
    ctx = world.ctx
    with ctx.db.write_session() as s:
        a = services.ensure(ctx, s, world.actor("school_admin"), kind="tripartite", county_code=COUNTY,
                            subject=kw.pop("subject", subject(world, kid)), parties=parties(world, kid),
                            values=VALUES if values is None else values, term_name=TERM, **kw)
        s.commit()
        return a


def sign(world: World, who: str, agreement_id: int, sha: str | None = None) -> AgreementSignature:
    with world.ctx.db.write_session() as s:
        if sha is None:
            sha = s.get(Agreement, agreement_id).pdf_sha256
        return services.sign(world.ctx, s, world.actor(who), agreement_id, pdf_sha256=sha, user_agent="pytest")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def entries(ctx: Context, action: str) -> list[AuditEntry]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def fully_signed(ctx: Context, subj: str) -> bool:
    with ctx.db.read_session() as s:
        return services.fully_signed(s, subj)


# --------------------------------------------------------------------------- rendering


def test_the_pdf_holds_the_chinese_text_with_the_parties_and_the_refund_rule(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    data = ctx.storage.get(a.pdf_key)
    assert data.startswith(b"%PDF")
    assert a.pdf_key == f"agreements/{a.id}/{a.pdf_sha256}"
    assert render.sha256(data) == a.pdf_sha256
    found = pdf_text(data)
    for part in ("课后服务三方协议", "西湖小学", "王芳（学生李小明的监护人）", "西湖青少年美术中心", "退费", "退费规则第3版",
                 "每学期320元", "校方责任保险", "签署栏", "甲方", "乙方", "丙方", TERM):
        assert part in found, part
    assert a.title == f"课后服务三方协议（李小明，{TERM}）"
    assert a.status == "draft" and a.template_version == 0 and a.template_id is None


def test_the_same_text_gives_the_same_pdf_bytes(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    assert render.sha256(render.pdf(a.text)) == a.pdf_sha256
    assert render.pdf(a.text) == render.pdf(a.text)
    assert render.pdf(a.text) != render.pdf(a.text.replace("320元", "330元"))
    created = len(entries(ctx, "agreement.create"))
    again = tripartite(world, family["kid"])  # unchanged: nothing happens
    assert (again.id, again.pdf_sha256, again.updated_at) == (a.id, a.pdf_sha256, a.updated_at)
    assert len(entries(ctx, "agreement.create")) == created and not entries(ctx, "agreement.rerender")


def test_a_missing_value_names_the_placeholder(world: World, family) -> None:
    with pytest.raises(ValidationFailed) as exc:
        tripartite(world, family["kid"], values={k: v for k, v in VALUES.items() if k != "schedule"})
    assert exc.value.code == "agreement_value_missing" and exc.value.field == "schedule" and "{schedule}" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        tripartite(world, family["kid"], values=VALUES | {"price_fen": "32000"})
    assert exc.value.code == "agreement_value_unknown"


def test_parties_must_fit_the_kind_and_the_county(ctx: Context, world: World, family) -> None:
    ps = parties(world, family["kid"])
    bad = [
        ps[:2],  # no provider
        [ps[0], ps[1], Party("county", COUNTY, "西湖区教育局")],
        [Party("school", str(world.school_ids["other_school"]), "滨江初中"), ps[1], ps[2]],  # a school of another county
        [ps[0], Party("parent", "999999", "某家长"), ps[2]],
        [ps[0], ps[1], Party("provider", str(world.provider_ids["provider"]), " ")],
    ]
    with ctx.db.write_session() as s:
        for i, group in enumerate(bad):
            with pytest.raises(ValidationFailed) as exc:
                services.ensure(ctx, s, world.actor("school_admin"), kind="tripartite", county_code=COUNTY, subject=f"bad:{i}",
                                parties=group, values=VALUES, term_name=TERM)
            assert exc.value.code == "agreement_parties_invalid", i
        with pytest.raises(ValidationFailed) as exc:
            services.ensure(ctx, s, world.actor("school_admin"), kind="lease", county_code=COUNTY, subject="bad:kind",
                            parties=ps, values=VALUES)
        assert exc.value.code == "agreement_kind_invalid"
    a = tripartite(world, family["kid"])
    with ctx.db.write_session() as s, pytest.raises(Conflict) as exc:  # same subject, another kind
        services.ensure(ctx, s, world.actor("school_admin"), kind="service", county_code=COUNTY, subject=a.subject,
                        parties=[ps[0], ps[2]], values={k: v for k, v in VALUES.items() if k != "parent_name"},
                        term_name=TERM)
    assert exc.value.code == "agreement_subject_taken"


# --------------------------------------------------------------------------- templates


def test_county_templates_are_validated_versioned_and_audited(ctx: Context, world: World) -> None:
    body = tpl.builtin("tripartite").body
    cases = {
        "template_placeholder_unknown": body + "\n{price_fen}",
        "template_placeholder_malformed": body + "\n{ fee }",
        "template_placeholder_required": body.replace("{refund_rule}", "按学校规定"),
    }
    with ctx.db.write_session() as s:
        for code, wrong in cases.items():
            with pytest.raises(ValidationFailed) as exc:
                tpl.save(s, world.actor("decider"), COUNTY, kind="tripartite", title="三方协议", body=wrong)
            assert exc.value.code == code, code
            assert exc.value.message
        for wrong in (body + "{fee", body + "fee}", body + "{}", body + "{1}", body + "{fee:>9}"):
            with pytest.raises(ValidationFailed) as exc:
                tpl.save(s, world.actor("decider"), COUNTY, kind="tripartite", title="三方协议", body=wrong)
            assert exc.value.code == "template_placeholder_malformed", wrong[-8:]
        with pytest.raises(ValidationFailed) as exc:  # the admission kind knows no parent
            tpl.save(s, world.actor("decider"), COUNTY, kind="admission", title="准入协议",
                     body=tpl.builtin("admission").body + "{parent_name}")
        assert exc.value.code == "template_placeholder_unknown" and "{parent_name}" in exc.value.message
        with pytest.raises(PermissionDenied) as denied:
            tpl.save(s, world.actor("reviewer1"), COUNTY, kind="tripartite", title="三方协议", body=body)
        assert denied.value.code == "decide_right_required"
        with pytest.raises(PermissionDenied):
            tpl.save(s, world.actor("other_decider"), COUNTY, kind="tripartite", title="三方协议", body=body)
        first = tpl.save(s, world.actor("decider"), COUNTY, kind="tripartite", title="三方协议", body=body)
        second = tpl.save(s, world.actor("decider"), COUNTY, kind="tripartite", title="三方协议（修订）",
                          body=body + "\n补充条款。")
        assert (first.version, second.version) == (1, 2)
        assert tpl.latest(s, COUNTY, "tripartite").version == 2 and tpl.latest(s, OTHER_COUNTY, "tripartite").version == 0
    saved = entries(ctx, "agreement_template.save")
    assert [(e.old_values["version"], e.new_values["version"]) for e in saved] == [(0, 1), (1, 2)]


def test_a_new_template_version_voids_earlier_signatures_through_ensure(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    first = sign(world, "parent", a.id)
    sign(world, "school_admin", a.id)
    sign(world, "provider", a.id)
    assert fully_signed(ctx, a.subject)
    old_sha = a.pdf_sha256
    with ctx.db.write_session() as s:
        tpl.save(s, world.actor("decider"), COUNTY, kind="tripartite", title="课后服务三方协议（{student_name}）",
                 body=tpl.builtin("tripartite").body + "\n十、本协议一式三份，各方各执一份。")
    b = tripartite(world, family["kid"])  # the same call as before: the county's new template applies
    assert b.id == a.id and b.pdf_sha256 != old_sha and b.template_version == 1 and b.status == "draft"
    assert b.signed_at is None and "一式三份" in b.text
    assert not fully_signed(ctx, a.subject)
    with ctx.db.read_session() as s:
        rows = list(s.scalars(select(AgreementSignature).where(AgreementSignature.agreement_id == a.id)))
    assert len(rows) == 3 and all(r.voided_at is not None and r.void_reason == "协议文本已变更" for r in rows)
    assert {r.pdf_sha256 for r in rows} == {old_sha}
    (entry,) = entries(ctx, "agreement.rerender")
    assert entry.old_values["pdf_sha256"] == old_sha and entry.new_values["pdf_sha256"] == b.pdf_sha256
    assert sorted(entry.new_values["voided_signatures"]) == sorted(r.id for r in rows)
    assert entry.old_values["status"] == "signed" and entry.new_values["status"] == "draft"
    assert ctx.storage.get(b.pdf_key) != ctx.storage.get(a.pdf_key)  # both wordings kept
    # the parent signs again, on the new text only
    with pytest.raises(Conflict) as exc:
        sign(world, "parent", a.id, sha=old_sha)
    assert exc.value.code == "agreement_text_changed"
    again = sign(world, "parent", a.id)
    assert again.id != first.id and again.pdf_sha256 == b.pdf_sha256 and again.voided_at is None


def test_changed_values_re_render_and_terminated_agreements_stay(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    sign(world, "parent", a.id)
    b = tripartite(world, family["kid"], values=VALUES | {"fee": "每学期300元"})
    assert b.pdf_sha256 != a.pdf_sha256 and "每学期300元" in b.text and b.values["fee"] == "每学期300元"
    with ctx.db.write_session() as s:
        services.terminate(ctx, s, world.actor("provider"), a.id, "机构退出服务")
    c = tripartite(world, family["kid"], values=VALUES | {"fee": "每学期280元"})
    assert c.status == "terminated" and c.pdf_sha256 == b.pdf_sha256


# --------------------------------------------------------------------------- signing


def test_signing_binds_to_the_text_and_completes_with_the_last_party(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    with pytest.raises(Conflict) as exc:
        sign(world, "parent", a.id, sha="0" * 64)
    assert exc.value.code == "agreement_text_changed"
    s1 = sign(world, "parent", a.id, sha=a.pdf_sha256.upper())
    assert sign(world, "parent", a.id).id == s1.id  # twice: the same signature, one audit entry
    assert len(entries(ctx, "agreement.sign")) == 1
    assert (s1.party_role, s1.party_ref, s1.user_agent, s1.ip) == ("parent", str(family["kid"]), "pytest", "127.0.0.1")
    assert s1.signed_at.tzinfo is not None and s1.signed_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    sign(world, "school_admin2", a.id)  # any administrator of the school signs for it
    assert not fully_signed(ctx, a.subject)
    sign(world, "provider", a.id)
    assert fully_signed(ctx, a.subject)
    with ctx.db.read_session() as s:
        done = s.get(Agreement, a.id)
        assert done.status == "signed" and done.signed_at is not None
    last = entries(ctx, "agreement.sign")[-1]
    assert last.old_values == {"status": "draft"} and last.new_values["status"] == "signed"
    assert last.new_values["pdf_sha256"] == a.pdf_sha256


def test_each_party_signs_only_for_itself(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    refused = {
        "parent2": (NotFound, "agreement_not_found"),  # the parent of another child
        "other_school_admin": (NotFound, "agreement_not_found"),  # another school
        "other_provider": (NotFound, "agreement_not_found"),  # another provider
        "other_decider": (NotFound, "agreement_not_found"),  # another county
        "police": (NotFound, "agreement_not_found"),  # a joint-review department sees no agreements
        "admin": (NotFound, "agreement_not_found"),
        "decider": (PermissionDenied, "not_a_party"),  # the county sees it, but is no party to it
    }
    for who, (error, code) in refused.items():
        with pytest.raises(error) as exc:
            sign(world, who, a.id, sha=a.pdf_sha256)
        assert exc.value.code == code, who
    with ctx.db.write_session() as s, pytest.raises(NotAuthenticated):
        services.sign(ctx, s, Actor.anonymous(), a.id, pdf_sha256=a.pdf_sha256)
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(AgreementSignature)) == 0


def test_the_county_signs_through_a_decision_maker(ctx: Context, world: World) -> None:
    pid = world.provider_ids["provider"]
    with ctx.db.write_session() as s:
        a = services.ensure(ctx, s, world.actor("decider"), kind="admission", county_code=COUNTY, subject=f"admission:test:{pid}",
                            parties=[Party("county", COUNTY, "西湖区教育局"), Party("provider", str(pid), "西湖青少年美术中心")],
                            values={"categories": "艺术", "period": "2026年12月1日至2027年11月30日"})
        s.commit()
    with pytest.raises(PermissionDenied) as exc:
        sign(world, "reviewer1", a.id)
    assert exc.value.code == "decide_right_required"
    with pytest.raises(NotFound):
        sign(world, "other_decider", a.id)
    sign(world, "decider", a.id)
    sign(world, "provider", a.id)
    assert fully_signed(ctx, a.subject)


def test_signatures_are_never_deleted_nor_rewritten(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    sig = sign(world, "parent", a.id)
    for sql in ("DELETE FROM agreement_signature", "UPDATE agreement_signature SET pdf_sha256 = 'x'",
                "UPDATE agreement_signature SET user_id = user_id + 1, voided_at = signed_at"):
        with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="only ever voided"):
            conn.execute(text(sql))
    with ctx.db.engine.begin() as conn:  # voiding a live signature is the one change allowed, once
        conn.execute(text("UPDATE agreement_signature SET voided_at = signed_at, void_reason = 'x' WHERE id = :i"), {"i": sig.id})
    with ctx.db.engine.connect() as conn, pytest.raises(Exception, match="only ever voided"):
        conn.execute(text("UPDATE agreement_signature SET void_reason = 'y'"))


# --------------------------------------------------------------------------- termination, renewal, tenancy


def test_termination_needs_a_party_or_a_county_decider_and_a_reason(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    with ctx.db.write_session() as s:
        with pytest.raises(ValidationFailed) as exc:
            services.terminate(ctx, s, world.actor("parent"), a.id, "  ")
        assert exc.value.code == "reason_required"
        with pytest.raises(PermissionDenied) as denied:
            services.terminate(ctx, s, world.actor("reviewer1"), a.id, "监管")
        assert denied.value.code == "decide_right_required"
        with pytest.raises(NotFound):
            services.terminate(ctx, s, world.actor("parent2"), a.id, "不想上了")
        done = services.terminate(ctx, s, world.actor("decider"), a.id, "机构被移出白名单")
        assert done.status == "terminated" and done.terminated_reason == "机构被移出白名单"
    with pytest.raises(Conflict) as conflict:
        sign(world, "parent", a.id)
    assert conflict.value.code == "agreement_terminated"
    (entry,) = entries(ctx, "agreement.terminate")
    assert entry.reason == "机构被移出白名单" and entry.old_values == {"status": "draft"}
    assert not fully_signed(ctx, a.subject)


def test_renewal_links_the_next_term_and_merges_values(ctx: Context, world: World, family) -> None:
    a = tripartite(world, family["kid"])
    spring = "2026-2027学年第二学期"
    with ctx.db.write_session() as s:
        with pytest.raises(PermissionDenied) as exc:
            services.renew(ctx, s, world.actor("parent"), a.id, subject=subject(world, family["kid"], spring), term_name=spring)
        assert exc.value.code == "renew_denied"
        with pytest.raises(Conflict):
            services.renew(ctx, s, world.actor("provider"), a.id, subject=a.subject, term_name=spring)
        new = services.renew(ctx, s, world.actor("provider"), a.id, subject=subject(world, family["kid"], spring),
                             term_name=spring, values={"fee": "每学期340元"})
    assert new.id != a.id and new.renewed_from == a.id and new.term_name == spring and new.status == "draft"
    assert spring in new.title and "每学期340元" in new.text and VALUES["schedule"] in new.text
    assert [p["label"] for p in new.parties] == [p["label"] for p in a.parties]


def test_each_actor_sees_only_their_own_agreements(ctx: Context, world: World, family) -> None:
    mine = tripartite(world, family["kid"])
    theirs = tripartite(world, family["other_kid"], subject=subject(world, family["other_kid"]),
                        values=VALUES | {"parent_name": "赵强"})
    with ctx.db.write_session() as s:  # a tripartite agreement with "parent2" as the parent party
        a = s.get(Agreement, theirs.id)
        assert a.student_id == family["other_kid"]

    def seen(who: str) -> list[int]:
        with ctx.db.read_session() as s:
            return sorted(x.id for x in services.visible_to(s, world.actor(who)))

    assert seen("parent") == [mine.id] and seen("parent2") == [theirs.id]
    assert seen("school_admin") == seen("provider") == seen("decider") == seen("reviewer1") == sorted([mine.id, theirs.id])
    for who in ("other_school_admin", "other_provider", "other_decider", "police", "admin"):
        assert seen(who) == [], who
    with ctx.db.read_session() as s:
        assert [x.id for x in services.visible_to(s, world.actor("provider"), status="signed")] == []
        with pytest.raises(ValidationFailed):
            services.visible_to(s, world.actor("provider"), kind="lease")


# --------------------------------------------------------------------------- concurrency, admission


def test_two_transactions_ensuring_one_subject_make_one_agreement(ctx: Context, world: World, family) -> None:
    kid = family["kid"]
    actor = world.actor("school_admin")

    def attempt(fast: Context, _i: int) -> Any:
        with fast.db.write_session() as s:
            a = services.ensure(fast, s, actor, kind="tripartite", county_code=COUNTY, subject=subject(world, kid),
                                parties=parties(world, kid), values=VALUES, term_name=TERM)
            s.commit()
            return a.id

    results = race(ctx, 6, attempt)
    assert not [r for r in results if isinstance(r, KehouError)], results
    assert len(set(results)) == 1
    with ctx.db.read_session() as s:
        assert s.scalar(select(func.count()).select_from(Agreement)) == 1
    assert len(entries(ctx, "agreement.create")) == 1 and not entries(ctx, "agreement.rerender")


def test_approving_an_admission_creates_the_admission_agreement(ctx: Context, world: World) -> None:
    from tests.test_permissions import application_in

    app_id = application_in(world, "awaiting_decision")["app_id"]
    with ctx.db.write_session() as s:
        entry = decision.approve(ctx, s, world.actor("decider"), app_id, reason="符合准入条件")
    pid = world.provider_ids["provider"]
    subj = f"admission:{COUNTY}:{pid}:{app_id}"
    with ctx.db.read_session() as s:
        a = s.scalars(select(Agreement).where(Agreement.subject == subj)).one()
    assert a.kind == "admission" and a.provider_id == pid and a.county_code == COUNTY and a.status == "draft"
    assert [(p["role"], p["label"]) for p in a.parties] == [("county", "西湖区教育局"), ("provider", "西湖青少年美术中心")]
    assert a.values["categories"] == "、".join(entry.categories)
    found = pdf_text(ctx.storage.get(a.pdf_key))
    assert "西湖区课后服务第三方机构准入协议" in found and f"{entry.valid_until.year}年" in found
    admit, create = entries(ctx, "whitelist.admit")[-1], entries(ctx, "agreement.create")[-1]
    assert create.id > admit.id and create.actor_id == world.users["decider"].id  # in the approval's transaction
    sign(world, "provider", a.id)
    sign(world, "decider", a.id)
    assert fully_signed(ctx, subj)
    # the annual re-review (留库审查): its approval makes the next admission agreement, linked to this one
    renewal = application_in(world, "awaiting_decision")["app_id"]
    with ctx.db.write_session() as s:
        decision.approve(ctx, s, world.actor("decider"), renewal, reason="留库审查合格")
        nxt = s.scalars(select(Agreement).where(Agreement.subject == f"admission:{COUNTY}:{pid}:{renewal}")).one()
        assert nxt.renewed_from == a.id and nxt.status == "draft"


def test_a_lost_creation_race_is_recovered_from_the_savepoint(ctx: Context, world: World, family, monkeypatch) -> None:
    """What PostgreSQL does in the threaded test above, made deterministic on every backend: the agreement
    appears after this transaction looked for it, so the insert fails in its savepoint and the row is re-read."""
    a = tripartite(world, family["kid"])
    real, calls = services._locked, []

    def first_misses(session: Any, subj: str) -> Any:
        calls.append(subj)
        return None if len(calls) == 1 else real(session, subj)

    monkeypatch.setattr(services, "_locked", first_misses)
    again = tripartite(world, family["kid"], values=VALUES | {"fee": "每学期300元"})
    assert len(calls) == 2 and again.id == a.id and "每学期300元" in again.text
    assert len(entries(ctx, "agreement.create")) == 1 and len(entries(ctx, "agreement.rerender")) == 1


# --------------------------------------------------------------------------- the JSON API


def test_the_api_shows_text_signatures_and_pdf_and_signs(client, ctx: Context, world: World, family) -> None:
    from tests.helpers import err, ok, token_headers

    a = tripartite(world, family["kid"])
    parent, school = token_headers(client, "parent"), token_headers(client, "school_admin")
    listed = ok(client.get("/api/v1/agreements", headers=parent))
    assert [(x["id"], x["my_party"], x["status"]) for x in listed] == [(a.id, "parent", "draft")]
    assert ok(client.get("/api/v1/agreements", headers=parent, params={"kind": "service"})) == []
    err(client.get("/api/v1/agreements", headers=parent, params={"status": "lost"}), 400, "agreement_status_invalid")
    pdf = client.get(f"/api/v1/agreements/{a.id}/pdf", headers=parent)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert render.sha256(pdf.content) == a.pdf_sha256 == pdf.headers["x-content-sha256"]
    err(client.post(f"/api/v1/agreements/{a.id}/sign", headers=parent, json={"pdf_sha256": "f" * 64}), 409,
        "agreement_text_changed")
    err(client.post(f"/api/v1/agreements/{a.id}/sign", headers=parent, json={}), 400, "invalid_input")
    signed = ok(client.post(f"/api/v1/agreements/{a.id}/sign", headers=parent | {"User-Agent": "Mobile Safari"},
                            json={"pdf_sha256": a.pdf_sha256}))
    assert signed["signature"]["party_role"] == "parent" and signed["signature"]["user_agent"] == "Mobile Safari"
    tripartite(world, family["kid"], values=VALUES | {"materials": "不收材料费"})  # the text changes: the signature is voided
    body = ok(client.get(f"/api/v1/agreements/{a.id}", headers=school))
    (sig,) = body["signatures"]
    assert sig["voided_at"] and sig["void_reason"] == "协议文本已变更" and not sig["live"] and sig["pdf_sha256"] == a.pdf_sha256
    assert "ip" not in sig and "user_agent" not in sig  # where a parent signed from is not the school's business
    assert body["pdf_sha256"] != a.pdf_sha256 and "不收材料费" in body["text"] and body["my_party"] == "school"
    err(client.get(f"/api/v1/agreements/{a.id + 99}", headers=school), 404, "agreement_not_found")
    current = body["pdf_sha256"]
    with ctx.db.read_session() as s:
        key = s.get(Agreement, a.id).pdf_key
    ctx.storage.delete(key)  # lost from storage: rendered again from the stored text, the same bytes
    again = client.get(f"/api/v1/agreements/{a.id}/pdf", headers=school)
    assert again.status_code == 200 and render.sha256(again.content) == current and ctx.storage.exists(key)


def test_the_api_saves_county_templates(client, ctx: Context, world: World) -> None:
    from tests.helpers import err, ok, token_headers

    decider = token_headers(client, "decider")
    url = f"/api/v1/counties/{COUNTY}/agreement-templates"
    listing = ok(client.get(url, headers=decider))
    assert set(listing["kinds"]) == {"admission", "service", "tripartite"} and listing["versions"] == []
    assert "refund_rule" in listing["kinds"]["tripartite"]["placeholders"] and listing["kinds"]["service"]["current_version"] == 0
    body = listing["kinds"]["service"]["default"]["body"]
    bad = err(client.post(url, headers=decider, json={"kind": "service", "title": "服务协议", "body": body + "{student_name}"}),
              400, "template_placeholder_unknown")
    assert "{student_name}" in bad["message"]
    saved = ok(client.post(url, headers=decider, json={"kind": "service", "title": "服务协议（{term}）", "body": body}), 201)
    assert saved["version"] == 1
    assert ok(client.get(url, headers=decider))["kinds"]["service"]["current_version"] == 1
