"""Public writes cannot be flooded (issue 17 part 1): public complaints (10 an hour) and provider
self-registration (10 an hour) are limited per address, across workers (the count is in the database); another
address is unaffected, a refused or invalid submission does not count, and parents' own complaints are not
public writes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from kehou.errors import TooManyRequests
from kehou.platform.actor import Actor
from kehou.platform.providers import services as providers
from kehou.platform.ratelimit import services as ratelimit
from kehou.platform.ratelimit.models import RateEvent
from kehou.plugins.outcome_reporting import complaints
from kehou.timeutil import utcnow
from tests.factories import World, resident_id, uscc
from tests.helpers import err, ok
from tests.test_outcome_complaints import COUNTY, cat  # noqa: F401 - the fixture


def test_public_complaints_are_limited_per_address(client, world: World, cat) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    url = f"/api/v1/public/counties/{COUNTY}/complaints"
    body = {"category": "safety", "anonymous": True}
    err(client.post(url, json={**body, "text": ""}), 400, "text_required")  # invalid: not counted
    for i in range(ratelimit.COMPLAINTS.count):
        ok(client.post(url, json={**body, "text": f"校门口接送混乱第{i}次"}), 201)
    refused = err(client.post(url, json={**body, "text": "第十一件同样的投诉"}), 429, "complaints_throttled")
    assert "一小时内最多提交10件投诉" in refused["message"]
    with world.ctx.db.write_session() as s:  # another address still may; an hour later this one may again
        complaints.submit(world.ctx, s, Actor.anonymous("203.0.113.9"), complaints.ComplaintInput(
            category="safety", text="另一个网络的投诉", anonymous=True), county_code=COUNTY)
        s.commit()
        assert s.scalar(select(func.count()).select_from(RateEvent).where(RateEvent.kind == "complaint")) == 11
        for e in s.scalars(select(RateEvent)):
            e.at = utcnow() - dt.timedelta(minutes=61)
        s.commit()
    ok(client.post(url, json={**body, "text": "一小时后再次投诉"}), 201)


def test_self_registration_is_limited_per_address(world: World) -> None:
    def register(n: int, ip: str) -> None:
        with world.ctx.db.write_session() as s:
            providers.register(s, world.ctx.vault, Actor.anonymous(ip), providers.ProviderInput(
                name=f"限流测试机构{n}", uscc=uscc(f"52330106MX{n:07d}"), org_type="private_non_enterprise",
                legal_rep_name="张三", legal_rep_id_number=resident_id(), contact_name="李四", contact_phone="13800000000",
                contact_email="", address="某街道", national_platform_id=""),
                username=f"ratelimit{n}", password="Kehou-test-2026", display_name="李四")
            s.commit()

    limit = ratelimit.REGISTRATIONS.count
    for n in range(limit):
        register(n, "198.51.100.7")
    with pytest.raises(TooManyRequests) as refused:
        register(limit, "198.51.100.7")
    assert refused.value.code == "registrations_throttled" and "最多注册10个" in str(refused.value)
    register(limit + 1, "198.51.100.8")  # another address
    register(limit + 2, "")  # the platform itself (the demo, an import): no address, no limit
