"""Demo data of agreements and the exit mechanism: 西湖区第1小学 and the football club have signed
their service agreement (the others are waiting for signatures), and the bureau has warned 之江围棋社
for handing out flyers of its off-campus classes (the case is open, its deadline running)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.agreements import services as agreements
from kehou.platform.agreements.models import Agreement
from kehou.platform.context import Context
from kehou.platform.exits import services as exits
from kehou.platform.providers.models import Provider

MAIN = "330106"


def _actor(s: Session, **where: Any) -> Actor:
    user = s.scalars(select(User).filter_by(**where).order_by(User.id)).first()
    assert user is not None, f"the demo data has no user with {where}"
    return accounts.actor_for(user)


def load(ctx: Context, school_admin: Actor) -> None:
    with ctx.db.write_session() as s:
        club = s.scalars(select(Provider).where(Provider.name == "杭州青少年足球俱乐部")).one()
        service = s.scalars(select(Agreement).where(Agreement.kind == "service", Agreement.provider_id == club.id)).one()
        digest, service_id = service.pdf_sha256, service.id
        org = _actor(s, provider_id=club.id)
        go = s.scalars(select(Provider).where(Provider.name == "之江围棋社")).one()
        reviewer = _actor(s, username="xh_reviewer1")
    for who in (school_admin, org):
        with ctx.db.write_session() as s:
            agreements.sign(ctx, s, who, service_id, pdf_sha256=digest, user_agent="demo")
    with ctx.db.write_session() as s:
        case = exits.propose(ctx, s, reviewer, county_code=MAIN, provider_id=go.id, trigger="violation",
                             grounds=["inducing_training", "commercial_promotion"],
                             summary="授课教师在课后服务中向学生发放校外围棋培训班招生传单",
                             evidence=[{"item": "西湖区第1小学巡课记录"}, {"item": "家长提供的传单照片"}])
        exits.warn(ctx, s, reviewer, case.id, note="立即停止在校内宣传校外培训，30日内提交整改报告")
