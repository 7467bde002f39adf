"""Reviewers accept ticked documents in one form, and accept the materials only once no document is pending.

The refusal of the bulk form to everyone else: tests/test_html_pages.py (POSTS) and below; the browser flow with
the ticks: tests/test_browser_admission.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kehou.errors import Conflict
from kehou.platform.admission import services as admission
from kehou.platform.audit.models import AuditEntry
from kehou.platform.documents.models import DOCUMENT_TYPES, Document
from tests.factories import COUNTY, World, add_provider, review_documents
from tests.test_html_pages import browser, csrf


def submitted(world: World, key: str = "provider") -> int:
    with world.ctx.db.write_session() as s:
        aid = admission.create(world.ctx, s, world.actor(key), county_code=COUNTY, categories=["阅读"], statement="读书会").id
        admission.submit(s, world.actor(key), aid)
    return aid


def statuses(world: World, key: str = "provider") -> dict[int, str]:
    with world.ctx.db.read_session() as s:
        return dict(s.execute(select(Document.id, Document.status).where(
            Document.provider_id == world.provider_ids[key]).order_by(Document.id)).all())


def test_materials_wait_for_every_document(world: World) -> None:
    aid = submitted(world)
    pending = [i for i, st in statuses(world).items() if st == "pending"]
    assert len(pending) >= 2
    with world.ctx.db.write_session() as s, pytest.raises(Conflict) as refused:
        admission.accept_materials(s, world.actor("reviewer1"), aid)
    assert refused.value.code == "documents_pending" and refused.value.extra == {"pending": len(pending)}
    with world.ctx.db.read_session() as s:
        kinds = {DOCUMENT_TYPES[t] for t in s.scalars(select(Document.doc_type).where(Document.id.in_(pending)))}
    assert f"还有{len(pending)}份证件未审核" in refused.value.message
    assert all(kind in refused.value.message for kind in kinds)
    assert review_documents(world, "provider") == len(pending)
    with world.ctx.db.write_session() as s:
        assert admission.accept_materials(s, world.actor("reviewer1"), aid).status == "expert_review"


def test_ticked_documents_are_accepted_together_and_each_audited(world: World) -> None:
    aid = submitted(world)
    ids = [i for i, st in statuses(world).items() if st == "pending"]
    page = f"/desk/applications/{aid}"
    with browser(world.ctx, "reviewer1") as rev:
        shown = rev.get(page).text
        assert all(f'name="document_id" value="{i}"' in shown for i in ids)
        picked = [str(i) for i in ids[:2]]
        resp = rev.post("/desk/documents/bulk-accept", data={"_csrf_token": csrf(rev, page), "document_id": picked},
                        headers={"referer": f"http://127.0.0.1{page}"}, follow_redirects=True)
        assert resp.status_code == 200 and "已批量通过2份证件" in resp.text
    after = statuses(world)
    assert [after[i] for i in ids[:2]] == ["accepted", "accepted"] and all(after[i] == "pending" for i in ids[2:])
    with world.ctx.db.read_session() as s:
        reviewed = s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "document.review")).all()
    assert sorted(reviewed) == sorted(str(i) for i in ids[:2])


def test_a_pick_with_one_bad_document_accepts_none(world: World) -> None:
    aid = submitted(world)
    add_provider(world, "elsewhere", body="91330106MA0000077", name="别处机构")  # never applied in the county
    ours = [i for i, st in statuses(world).items() if st == "pending"]
    theirs = next(iter(statuses(world, "elsewhere")))
    page = f"/desk/applications/{aid}"
    with browser(world.ctx, "reviewer1") as rev:
        resp = rev.post("/desk/documents/bulk-accept", data={"_csrf_token": csrf(rev, page),
                                                             "document_id": [str(ours[0]), str(theirs)]},
                        follow_redirects=False)
        assert resp.status_code in (303, 404)
        for bad in (["x1"], []):
            resp = rev.post("/desk/documents/bulk-accept", data={"_csrf_token": csrf(rev, page), "document_id": bad},
                            headers={"referer": f"http://127.0.0.1{page}"}, follow_redirects=True)
            assert "证件编号无效" in resp.text or "请先勾选要通过的证件" in resp.text
    assert all(st == "pending" for st in statuses(world).values())
    assert all(st == "pending" for st in statuses(world, "elsewhere").values())


@pytest.mark.parametrize("who", ["provider", "other_reviewer", "parent", "school_admin", "police"])
def test_only_the_county_reviewer_may_accept_in_bulk(world: World, who: str) -> None:
    aid = submitted(world)
    ids = [str(i) for i, st in statuses(world).items() if st == "pending"]
    with browser(world.ctx, who) as client:
        token = csrf(client, "/notifications")
        resp = client.post("/desk/documents/bulk-accept", data={"_csrf_token": token, "document_id": ids},
                           follow_redirects=False)
        assert resp.status_code in (403, 404), (who, resp.status_code)
    assert all(st == "pending" for st in statuses(world).values()), aid
