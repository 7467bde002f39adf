"""The term-end showcase (结业汇报): a provider uploads works, photos and videos per course (type
sniffed from the content, size limits), the school publishes or withdraws them (audited), and
parents of children in the course see the published ones through signed links."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from kehou.platform.audit.models import AuditEntry
from kehou.plugins.outcome_reporting import showcase
from kehou.plugins.outcome_reporting.models.surveys import ShowcaseItem
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests import media
from tests import outcome_setup as os_
from tests.factories import World, pdf
from tests.helpers import err, ok, token_headers
from tests.outcome_rows.surveys import JPEG
from tests.test_html_pages import browser, csrf

PNG = media.image("PNG", "showcase")
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200


@dataclasses.dataclass
class Setup:
    kid: int
    calligraphy: int
    painting: int


@pytest.fixture
def setup(world: World) -> Setup:
    cat = os_.ready(world)
    kid = cat.students["xiaoming"]
    bs.enrol(world, kid, cat.entries["calligraphy"])
    return Setup(kid, cat.entries["calligraphy"], cat.entries["painting"])


def upload(client, headers, entry_id: int, name: str, data: bytes, kind: str, title: str = "结业作品") -> object:
    return client.post(f"/api/v1/entries/{entry_id}/showcase", headers=headers,
                       files={"file": (name, data, "application/octet-stream")}, data={"kind": kind, "title": title})


def test_upload_checks_the_content(client, world: World, setup: Setup) -> None:
    provider = token_headers(client, "provider")
    e = setup.calligraphy
    photo = ok(upload(client, provider, e, "photo.jpg", JPEG, "photo"), 201)
    assert (photo["content_type"], photo["status"], photo["kind"]) == ("image/jpeg", "submitted", "photo")
    assert ok(upload(client, provider, e, "same.jpg", JPEG, "photo"), 200)["duplicate"] is True  # the same file again
    assert ok(upload(client, provider, e, "work.pdf", pdf("作品集"), "work"), 201)["content_type"] == "application/pdf"
    assert ok(upload(client, provider, e, "画.png", PNG, "work"), 201)["content_type"] == "image/png"
    assert ok(upload(client, provider, e, "clip.mp4", MP4, "video"), 201)["content_type"] == "video/mp4"
    err(upload(client, provider, e, "work.pdf", pdf("x2"), "photo"), 400, "upload_type_not_allowed")  # a PDF is no photo
    err(upload(client, provider, e, "clip.jpg", MP4, "photo"), 400, "upload_type_not_allowed")
    err(upload(client, provider, e, "photo.jpg", JPEG + b"v", "video"), 400, "upload_type_not_allowed")
    err(upload(client, provider, e, "evil.jpg", b"MZ\x90\x00" + b"\x00" * 64, "photo"), 400, "upload_type_not_allowed")
    err(upload(client, provider, e, "note.jpg", b"just text", "photo"), 400, "upload_type_not_allowed")
    err(upload(client, provider, e, "photo.png", JPEG + b"m", "photo"), 400, "upload_type_mismatch")
    err(upload(client, provider, e, "x.jpg", JPEG + b"k", "poster"), 400, "showcase_kind_invalid")
    err(upload(client, provider, e, "x.jpg", JPEG + b"t", "photo", title=""), 400, "showcase_title_invalid")
    err(upload(client, provider, e, "x.jpg", b"", "photo"), 400, "upload_empty")
    err(upload(client, token_headers(client, "other_provider"), e, "x.jpg", JPEG, "photo"), 404, "course_not_found")
    with world.ctx.db.read_session() as s:
        rows = list(s.scalars(select(ShowcaseItem).order_by(ShowcaseItem.id)))
        assert len(rows) == 4
        assert all(world.ctx.storage.get(r.storage_key) for r in rows)  # stored through ctx.storage
        assert rows[0].school_id == world.school_ids["school"] and rows[0].provider_id == world.provider_ids["provider"]


def test_size_limits(client, world: World, setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(showcase.MAX_BYTES, "mp4", 100)
    monkeypatch.setitem(showcase.MAX_BYTES, "jpeg", 100)
    provider = token_headers(client, "provider")
    err(upload(client, provider, setup.calligraphy, "clip.mp4", MP4, "video"), 400, "upload_too_large")
    err(upload(client, provider, setup.calligraphy, "photo.jpg", JPEG, "photo"), 400, "upload_too_large")
    ok(upload(client, provider, setup.calligraphy, "small.png", PNG, "photo"), 201)  # PNG keeps its own limit


def test_upload_publish_and_the_parent_sees_it(client, world: World, setup: Setup) -> None:
    provider, school, parent = (token_headers(client, u) for u in ("provider", "school_admin", "parent"))
    item = ok(upload(client, provider, setup.calligraphy, "photo.jpg", JPEG, "photo", "书法课堂"), 201)
    other = ok(upload(client, provider, setup.painting, "paint.png", PNG, "photo", "国画作品"), 201)
    # not yet published: the parent sees the course, not the photo, and gets no link
    shown = ok(client.get(f"/api/v1/children/{setup.kid}/showcase", headers=parent))
    assert [(c["entry_id"], c["items"]) for c in shown] == [(setup.calligraphy, [])]
    err(client.get(f"/api/v1/showcase/{item['id']}/link", headers=parent), 404, "showcase_item_not_found")
    err(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": False, "reason": "x"}, headers=school), 409,
        "showcase_not_published")
    err(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": True}, headers=school), 409,
        "consent_missing")  # a photo of the children: their families must agree first
    ok(client.post("/api/v1/me/consents/showcase", headers=parent), 201)
    before = audit_count(world)
    published = ok(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": True}, headers=school))
    assert published["status"] == "published" and published["published_at"]
    err(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": True}, headers=school), 409,
        "showcase_already_published")
    ok(client.post(f"/api/v1/showcase/{other['id']}/publish", json={"publish": True}, headers=school))
    assert audit_count(world) == before + 2
    with world.ctx.db.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "showcase.publish").order_by(AuditEntry.id)).first()
        assert entry.actor_id == world.users["school_admin"].id and entry.entity_id == str(item["id"])
        assert entry.old_values["status"] == "submitted" and entry.new_values["status"] == "published"
    shown = ok(client.get(f"/api/v1/children/{setup.kid}/showcase", headers=parent))
    assert [[i["title"] for i in c["items"]] for c in shown] == [["书法课堂"]]  # not the painting course's photo
    link = ok(client.get(f"/api/v1/showcase/{item['id']}/link", headers=parent))["url"]
    resp = client.get(link)
    assert resp.status_code == 200 and resp.content == JPEG
    err(client.get(f"/api/v1/showcase/{other['id']}/link", headers=parent), 404, "showcase_item_not_found")  # not their course
    # withdrawn: gone for the parent again
    err(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": False}, headers=school), 400, "reason_required")
    ok(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": False, "reason": "照片含其他学生正脸"},
                   headers=school))
    assert ok(client.get(f"/api/v1/children/{setup.kid}/showcase", headers=parent))[0]["items"] == []
    err(client.get(f"/api/v1/showcase/{item['id']}/link", headers=parent), 404, "showcase_item_not_found")
    assert ok(client.get(f"/api/v1/entries/{setup.calligraphy}/showcase", headers=school))[0]["status"] == "withdrawn"


def test_another_parent_sees_nothing(client, world: World, setup: Setup) -> None:
    other_kid = cs.child(world, "小华", parent="parent2", new_parent=True)  # same school, not in the course
    item = ok(upload(client, token_headers(client, "provider"), setup.calligraphy, "photo.jpg", JPEG, "photo"), 201)
    agree(world)
    ok(client.post(f"/api/v1/showcase/{item['id']}/publish", json={"publish": True},
                   headers=token_headers(client, "school_admin")))
    parent2 = token_headers(client, "parent2")
    err(client.get(f"/api/v1/showcase/{item['id']}/link", headers=parent2), 404, "showcase_item_not_found")
    assert ok(client.get(f"/api/v1/children/{other_kid}/showcase", headers=parent2)) == []
    err(client.get(f"/api/v1/children/{setup.kid}/showcase", headers=parent2), 404, "student_not_found")


def agree(world: World, parent: str = "parent") -> None:
    """The family agrees to the showcase of photos and videos (kehou/platform/privacy/consent.py)."""
    from kehou.platform.privacy import consent

    with world.ctx.db.write_session() as s:
        consent.give(s, world.actor(parent), "showcase")


def audit_count(world: World) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_pages_upload_publish_and_show(world: World, setup: Setup) -> None:
    ctx = world.ctx
    with browser(ctx, "provider") as provider:
        page = provider.get("/provider/showcase").text
        assert "少儿软笔书法" in page
        resp = provider.post(f"/provider/showcase/{setup.calligraphy}", files={"file": ("课堂.jpg", JPEG, "image/jpeg")},
                             data={"_csrf_token": csrf(provider, "/provider/showcase"), "kind": "photo", "title": "课堂风采"})
        assert resp.status_code == 200 and "等待学校审核" in resp.text
    with ctx.db.read_session() as s:
        item_id = s.scalars(select(ShowcaseItem.id)).one()
    agree(world)
    with browser(ctx, "school_admin") as school:
        assert "课堂风采" in school.get("/school/showcase").text
        resp = school.post(f"/school/showcase/{item_id}/publish",
                           data={"_csrf_token": csrf(school, "/school/showcase"), "action": "publish"})
        assert resp.status_code == 200 and "已发布" in resp.text
    with browser(ctx, "parent") as parent:
        page = parent.get(f"/parent/showcase/{setup.kid}").text
        assert "课堂风采" in page and '<img src="/files/' in page


def test_page_forms_refuse_others(world: World, setup: Setup) -> None:
    """Only the course's provider uploads and only its school's admin publishes, through the pages too."""
    with world.ctx.db.write_session() as s:
        item = showcase.upload(world.ctx, s, world.actor("provider"), setup.calligraphy, kind="photo", title="照片",
                               description="", filename="p.jpg", data=JPEG)[0].id
    for who, home in (("other_provider", "/provider/showcase"), ("school_admin", "/school/showcase"),
                      ("parent", "/parent/surveys")):
        with browser(world.ctx, who) as client:
            resp = client.post(f"/provider/showcase/{setup.calligraphy}", files={"file": ("x.png", PNG, "image/png")},
                               data={"_csrf_token": csrf(client, home), "kind": "photo", "title": "冒名上传"},
                               follow_redirects=False)
            assert resp.status_code in (403, 404), (who, resp.status_code)
    for who, home in (("provider", "/provider/showcase"), ("parent", "/parent/surveys")):
        with browser(world.ctx, who) as client:
            resp = client.post(f"/school/showcase/{item}/publish", data={"_csrf_token": csrf(client, home), "action": "publish"},
                               follow_redirects=False)
            assert resp.status_code in (403, 404), (who, resp.status_code)
    with world.ctx.db.read_session() as s:
        rows = list(s.scalars(select(ShowcaseItem)))
    assert [(r.id, r.status) for r in rows] == [(item, "submitted")]
