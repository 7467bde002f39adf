"""The instructor's check-in window is a county setting (issue 18 part 7): by default from 30 minutes before the
start; up to 15 minutes after the start on time; later only with a reason, audited and told to the school."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient
from sqlalchemy import select

from kehou.platform.audit.models import AuditEntry
from kehou.plugins.course_catalogue.models import Lesson
from kehou.timeutil import SHANGHAI, clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers


def _lessons(world: World) -> tuple[list[Lesson], int]:
    cat = cs.ready(world)
    cs.sign_service(world, cat.entries["calligraphy"])
    with world.ctx.db.read_session() as s:
        rows = list(s.scalars(select(Lesson).where(Lesson.entry_id == cat.entries["calligraphy"]).order_by(Lesson.day)
                              .limit(3)))
    return rows, cs.staff_id(world, "provider")


def at(day: dt.date, hour: int, minute: int) -> None:
    clock.advance(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI) - clock.now())


def test_the_window_and_a_late_check_in(client: TestClient, world: World) -> None:
    (first, second, third), staff = _lessons(world)
    prov = token_headers(client, "provider")
    url = f"/api/v1/lessons/{first.id}/check-in"
    at(first.day, 15, 29)  # 16:00 lesson: the window opens at 15:30
    early = err(client.post(url, headers=prov, json={"staff_id": staff}), 409, "check_in_too_early")
    assert "本课次15:30起" in early["message"]
    at(first.day, 16, 15)  # 15 minutes after the start: still on time
    got = ok(client.post(url, headers=prov, json={"staff_id": staff}))
    assert got["status"] == "delivered" and got["late_reason"] == ""

    url = f"/api/v1/lessons/{second.id}/check-in"
    at(second.day, 16, 16)
    late = err(client.post(url, headers=prov, json={"staff_id": staff}), 400, "late_reason_required")
    assert late["field"] == "late_reason" and "15分钟" in late["message"]
    err(client.post(url, headers=prov, json={"staff_id": staff, "late_reason": "   "}), 400, "late_reason_required")
    got = ok(client.post(url, headers=prov, json={"staff_id": staff, "late_reason": "教师临时生病，由代课教师赶来"}))
    assert got["late_reason"] == "教师临时生病，由代课教师赶来"
    with world.ctx.db.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "lesson.check_in",
                                                   AuditEntry.entity_id == str(second.id))).one()
        assert entry.new_values["late"] is True and entry.reason == "教师临时生病，由代课教师赶来"

    # a county that opens the window an hour early and allows 5 minutes
    bs.put(world, "catalogue.check_in_open_minutes", 60)
    bs.put(world, "catalogue.check_in_grace_minutes", 5)
    at(third.day, 14, 59)
    err(client.post(f"/api/v1/lessons/{third.id}/check-in", headers=prov, json={"staff_id": staff}), 409,
        "check_in_too_early")
    at(third.day, 15, 10)
    assert ok(client.post(f"/api/v1/lessons/{third.id}/check-in", headers=prov, json={"staff_id": staff}))["late_reason"] == ""
