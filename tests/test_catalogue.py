"""Course catalogue: offerings, menus, selection, waitlists, small classes (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from kehou.platform.context import Context
from kehou.plugins.course_catalogue.models import Enrolment, EnrolmentEvent, Entry, Lesson
from tests import catalogue_setup as cs
from tests.factories import World
from tests.helpers import err, ok, token_headers


def test_parent_selects_and_gets_one_timetable(client: TestClient, ctx: Context, world: World) -> None:
    cat = cs.ready(world)
    sid = cat.students["xiaoming"]
    parent = token_headers(client, "parent")
    courses = ok(client.get(f"/api/v1/children/{sid}/courses", headers=parent))
    assert {c["title"] for c in courses} == {"少儿软笔书法", "国画入门"}
    assert all(c["my_status"] is None and c["seats_left"] == 30 for c in courses)
    first = client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]})
    assert first.status_code == 201 and first.json()["status"] == "enrolled"
    again = client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["calligraphy"]})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    ok(client.post(f"/api/v1/children/{sid}/enrolments", headers=parent, json={"entry_id": cat.entries["painting"]}), 201)
    table = ok(client.get(f"/api/v1/children/{sid}/timetable", headers=parent))
    assert [(r["title"], r["weekday"], r["start"], r["end"]) for r in table] == [
        ("少儿软笔书法", 0, "16:00", "17:00"), ("国画入门", 1, "16:00", "17:00")]
    with ctx.db.read_session() as s:
        assert s.get(Entry, cat.entries["calligraphy"]).enrolled == 1
        assert s.scalar(select(func.count()).select_from(EnrolmentEvent)) == 2
        assert s.scalar(select(func.count()).select_from(Lesson).where(Lesson.entry_id == cat.entries["painting"])) > 0
