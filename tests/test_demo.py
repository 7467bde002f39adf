"""The demo data that ``./dev up`` loads on a fresh database: it loads, once, and shows each part."""

from __future__ import annotations

from sqlalchemy import func, select

from kehou.cli import demo
from kehou.platform.agreements.models import Agreement
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.exits.models import ExitCase
from kehou.plugins.billing_cap.models import Bill, Settlement
from kehou.plugins.outcome_reporting.models import Complaint, EvaluationRun, Incident, SchoolRating, SurveyResponse


def test_demo_loads_once_with_every_part(ctx: Context) -> None:
    assert demo.load(ctx) is True
    assert demo.load(ctx) is False  # only into an empty database
    with ctx.db.read_session() as s:
        # parent02's twenty, then parent01's two after the weeks held; the provider's settlement of those weeks
        assert s.scalar(select(func.count()).select_from(Bill)) == 22
        settled = s.scalars(select(Settlement)).one()
        assert settled.status == "draft" and settled.lessons == 3 and settled.amount_fen > 0
        services = s.scalars(select(Agreement).where(Agreement.kind == "service")).all()
        assert len(services) == 4 and [a.status for a in services].count("signed") == 1
        case = s.scalars(select(ExitCase)).one()
        assert case.status == "warned" and "招生传单" in case.summary
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 12
        assert s.scalar(select(func.count()).select_from(SchoolRating)) == 1
        assert sorted((c.source, c.anonymous, c.status) for c in s.scalars(select(Complaint))) == [
            ("parent", False, "assigned"), ("public", True, "received")]
        assert s.scalars(select(Incident)).one().severity == "minor"
        assert s.scalars(select(EvaluationRun)).one().status == "draft"
        assert audit.verify(s)[1] == []
