"""Safety incidents: the school or the provider reports one for a course of theirs; serious and major
ones reach the county's staff at once; county staff close them with a note; each sees only its own.
(Who may call which endpoint: tests/outcome_rows/supervision.py.)"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from kehou.platform.audit.models import AuditEntry
from kehou.platform.notifications.models import Notification
from kehou.timeutil import SHANGHAI, clock
from tests import outcome_setup as os_
from tests.factories import World
from tests.helpers import err, ok, token_headers
from tests.test_html_pages import browser, csrf


def alerts(world: World) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Notification).where(Notification.title.like("%安全事件"))) or 0


def body(entry_id: int, **kw) -> dict:  # type: ignore[no-untyped-def,type-arg]
    when = (clock.now() - dt.timedelta(hours=1)).astimezone(SHANGHAI).isoformat()
    return {"entry_id": entry_id, "severity": "minor", "occurred_at": when, "description": "学生跑动时摔倒擦伤膝盖",
            "injured": 1, "actions_taken": "校医处理并通知家长"} | kw


def test_report_alert_and_close(client, world: World) -> None:
    cat = os_.ready(world)
    entry = cat.entries["calligraphy"]
    school, prov, rev = (token_headers(client, u) for u in ("school_admin", "provider", "reviewer1"))
    err(client.post("/api/v1/incidents", headers=school, json=body(entry, severity="huge")), 400, "severity_invalid")
    err(client.post("/api/v1/incidents", headers=school, json=body(entry, injured=-1)), 400, "injured_invalid")
    err(client.post("/api/v1/incidents", headers=school, json=body(entry, description="摔")), 400, "description_required")
    future = (clock.now() + dt.timedelta(days=1)).isoformat()
    err(client.post("/api/v1/incidents", headers=school, json=body(entry, occurred_at=future)), 400, "occurred_in_future")
    err(client.post("/api/v1/incidents", headers=token_headers(client, "other_provider"), json=body(entry)),
        404, "entry_not_found")
    minor = ok(client.post("/api/v1/incidents", headers=school, json=body(entry)), 201)
    assert (minor["severity"], minor["status"], minor["provider_id"]) == ("minor", "open", world.provider_ids["provider"])
    assert minor["term_name"] and alerts(world) == 0  # a minor one waits for the county's own review
    serious = ok(client.post("/api/v1/incidents", headers=prov, json=body(entry, severity="serious", injured=2,
                                                                          description="器材倒塌砸伤两名学生")), 201)
    assert alerts(world) == 4  # every county_staff user of the county, at once
    assert [i["id"] for i in ok(client.get("/api/v1/incidents", headers=rev))] == [serious["id"], minor["id"]]
    assert len(ok(client.get("/api/v1/incidents", headers=prov))) == 2  # both happened in its course
    assert ok(client.get("/api/v1/incidents", headers=token_headers(client, "other_reviewer"))) == []
    err(client.get(f"/api/v1/incidents/{serious['id']}", headers=token_headers(client, "other_reviewer")),
        404, "incident_not_found")
    err(client.post(f"/api/v1/incidents/{serious['id']}/close", headers=rev, json={"note": " "}), 400, "note_required")
    closed = ok(client.post(f"/api/v1/incidents/{serious['id']}/close", headers=rev, json={"note": "已责令机构更换器材"}))
    assert (closed["status"], closed["closed_note"]) == ("closed", "已责令机构更换器材")
    err(client.post(f"/api/v1/incidents/{serious['id']}/close", headers=rev, json={"note": "再次结案"}), 409, "incident_closed")
    with world.ctx.db.read_session() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "outcome_incident")
                                 .order_by(AuditEntry.id)))
    assert actions == ["outcome.incident.report", "outcome.incident.report", "outcome.incident.close"]


def test_report_and_close_through_the_pages(ctx, world: World) -> None:
    cat = os_.ready(world)
    when = (clock.now() - dt.timedelta(hours=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    with browser(ctx, "provider") as prov:
        page = "/provider/supervision"
        assert "报告安全事件" in prov.get(page).text
        resp = prov.post("/incidents", data={"_csrf_token": csrf(prov, page), "entry_id": str(cat.entries["painting"]),
                                             "severity": "major", "occurred_at": when, "injured": "1",
                                             "description": "学生在走廊奔跑骨折", "actions_taken": "送医"},
                         headers={"referer": page})
        assert "安全事件已报告" in resp.text and "学生在走廊奔跑骨折" in resp.text
    assert alerts(world) == 4
    with browser(ctx, "school_admin") as school:
        assert "学生在走廊奔跑骨折" in school.get("/school/supervision").text  # at its school
    with browser(ctx, "reviewer1") as rev:
        page = "/county/supervision"
        text = rev.get(page).text
        assert "学生在走廊奔跑骨折" in text and "重大" in text
        import re

        iid = re.search(r'action="/incidents/(\d+)/close"', text).group(1)  # type: ignore[union-attr]
        resp = rev.post(f"/incidents/{iid}/close", data={"_csrf_token": csrf(rev, page), "note": "已约谈机构负责人"},
                        headers={"referer": page})
        assert "安全事件已结案" in resp.text and "已约谈机构负责人" in resp.text
    with browser(ctx, "other_provider") as other:
        assert "学生在走廊奔跑骨折" not in other.get("/provider/supervision").text
