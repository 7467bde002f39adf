"""Billing's Celery jobs on a real worker: bills issued once the selection window has closed, and a
provider's exit (the ``kehou_provider_exited`` event) crediting families through the queue."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery import Celery
from sqlalchemy import func, select

from kehou.platform.context import Context
from kehou.plugins.billing_cap import bills
from kehou.plugins.billing_cap.models import Bill
from kehou.plugins.course_catalogue import public as catalogue
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests.celery_support import worker
from tests.factories import COUNTY, World

pytestmark = pytest.mark.usefixtures("ledger_balanced")
TIMEOUT = 60


def bill_count(ctx: Context) -> int:
    with ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(Bill)) or 0


def test_bills_are_issued_by_the_job_after_the_window_and_only_once(ctx: Context, world: World, celery_app: Celery) -> None:
    cat = bs.courses(world, {"书法": 30000})
    bs.enrol(world, cat.students["xiaoming"], cat.entries["书法"])
    with worker(celery_app):
        def run() -> int:
            return int(celery_app.send_task("kehou.billing.issue_after_windows").get(timeout=TIMEOUT))

        assert run() == 0 and bill_count(ctx) == 0  # the window is still open
        with ctx.db.read_session() as s:
            closes = catalogue.menus(s)[0].closes_at
        clock.advance(closes - clock.now() + dt.timedelta(minutes=1))
        assert run() == 1 and bill_count(ctx) == 1
        assert run() == 0 and bill_count(ctx) == 1


def test_provider_exit_event_credits_families_through_the_worker(ctx: Context, world: World, celery_app: Celery) -> None:
    cat = bs.courses(world, {"书法": 30000})
    sid = cat.students["xiaoming"]
    bs.enrol(world, sid, cat.entries["书法"])
    bs.issue(world, cat.menu_id)
    first_day = bs.lesson_days(world, cat.entries["书法"])[0][1]
    with ctx.db.read_session() as s:
        hook = ctx.county_hook(s, COUNTY, "kehou_provider_exited")
    with worker(celery_app):
        hook(provider_id=world.provider_ids["provider"], county_code=COUNTY, effective=first_day)
        deadline = dt.datetime.now() + dt.timedelta(seconds=TIMEOUT)
        while dt.datetime.now() < deadline:
            with ctx.db.read_session() as s:
                bill = s.scalars(select(Bill)).one()
                if bills.outstanding(s, bill) != bill.total_fen:
                    break
            time.sleep(0.2)
    with ctx.db.read_session() as s:
        bill = s.scalars(select(Bill)).one()
        assert bills.outstanding(s, bill) == 0  # nothing delivered: the course fee and the materials come back
