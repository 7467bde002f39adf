"""County rules around admission: working days, barred types, settings by scope and date,
re-review and expiry, the first-admin CLI."""

from __future__ import annotations

import datetime as dt

import pytest

from kehou.errors import ValidationFailed
from kehou.platform.admission import decision, notice, review, services
from kehou.platform.admission.models import AppKind, WhitelistEntry
from kehou.platform.calendar import services as calendar
from kehou.platform.policy import services as policy
from kehou.timeutil import clock
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, World, add_provider, review_documents

GOOD = {"qualification": 22, "curriculum": 26, "staff": 20, "safety": 18}


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (dt.date(2026, 9, 29), 3, dt.date(2026, 10, 8)),  # National Day: 1-7 October off
        (dt.date(2026, 10, 9), 3, dt.date(2026, 10, 12)),  # Saturday 10 October is an adjusted working day
        (dt.date(2026, 9, 24), 2, dt.date(2026, 9, 28)),  # Mid-Autumn Festival, Friday 25 September
        (dt.date(2026, 9, 19), 1, dt.date(2026, 9, 20)),  # starts on a Saturday; Sunday 20 September is worked
        (dt.date(2026, 11, 23), 5, dt.date(2026, 11, 27)),
    ],
)
def test_notice_period_counts_chinese_working_days(ctx, start: dt.date, days: int, end: dt.date) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.read_session() as s:  # 2026 as `kehou migrate` entered it from chinesecalendar
        assert calendar.load(s, COUNTY).add_working_days(start, days) == end


def _approve(ctx, world: World, provider_key: str, county: str = COUNTY) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.write_session() as s:
        app_id = services.create(ctx, s, world.actor(provider_key), county_code=county, categories=["阅读"], statement="").id
        services.submit(s, world.actor(provider_key), app_id)
    review_documents(world, provider_key)
    with ctx.db.write_session() as s:
        services.accept_materials(s, world.actor("reviewer1"), app_id)
        for r in ("reviewer1", "reviewer2"):
            review.score(ctx, s, world.actor(r), app_id, scores=GOOD)
        review.finish_review(ctx, s, world.actor("reviewer1"), app_id)
        clock.advance(dt.timedelta(days=14))
        notice.close_notice(s, world.actor("reviewer1"), app_id)
        decision.approve(ctx, s, world.actor("decider"), app_id, reason="ok")
        return app_id


def test_county_may_bar_an_organisation_type(ctx, world: World) -> None:
    add_provider(world, "company", body="91330106MA0000009", name="某培训有限公司", org_type="enterprise")
    with ctx.db.write_session() as s:
        policy.put(s, ctx.registry, world.actor("decider"), scope=COUNTY, key="admission.barred_org_types",
                   value=["enterprise"], effective_from=clock.today_local(), reason="本区禁止校外培训机构参与")
        with pytest.raises(ValidationFailed) as exc:
            services.create(ctx, s, world.actor("company"), county_code=COUNTY, categories=["阅读"], statement="")
        assert exc.value.code == "org_type_barred" and "企业" in exc.value.message
        # the neighbouring county has no such rule
        app = services.create(ctx, s, world.actor("company"), county_code=OTHER_COUNTY, categories=["阅读"], statement="")
        assert app.status == "draft"


def test_settings_resolve_by_scope_and_effective_date(ctx, world: World) -> None:
    today = clock.today_local()
    key = "admission.notice_working_days"
    with ctx.db.write_session() as s:
        assert policy.get(s, ctx.registry, COUNTY, key) == 3
        policy.put(s, ctx.registry, ADMIN, scope="33", key=key, value=5, effective_from=today, reason="省定")
        policy.put(s, ctx.registry, ADMIN, scope="3301", key=key, value=7, effective_from=today + dt.timedelta(days=30),
                   reason="市定，下月起")
        policy.put(s, ctx.registry, world.actor("other_decider"), scope=OTHER_COUNTY, key=key, value=10,
                   effective_from=today, reason="区定")
        assert policy.get(s, ctx.registry, COUNTY, key) == 5
        assert policy.get(s, ctx.registry, COUNTY, key, today + dt.timedelta(days=31)) == 7
        assert policy.get(s, ctx.registry, COUNTY, key, today - dt.timedelta(days=1)) == 3
        assert policy.get(s, ctx.registry, OTHER_COUNTY, key) == 10
        with pytest.raises(ValidationFailed) as exc:
            policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key=key, value="三天", effective_from=today, reason="x")
        assert exc.value.code == "setting_type"


def test_rereview_extends_the_whitelist_and_unreviewed_entries_expire(ctx, world: World) -> None:
    _approve(ctx, world, "provider")
    with ctx.db.read_session() as s:
        entry = s.query(WhitelistEntry).one()
        first_until = entry.valid_until
    # annual re-review (留库审查): a new application while listed is a renewal
    app_id = _approve(ctx, world, "provider")
    with ctx.db.read_session() as s:
        entry = s.query(WhitelistEntry).one()
        assert s.get(services.Application, app_id).kind == AppKind.renewal
        assert entry.valid_until > first_until and entry.status == "active"
        until = entry.valid_until
    clock.advance(dt.timedelta(days=(until - clock.today_local()).days + 1))
    with ctx.db.write_session() as s:
        assert decision.expire_whitelist(s) == [entry.id]
        assert s.get(WhitelistEntry, entry.id).status == "expired"


def test_create_admin_cli(ctx, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from kehou.cli.main import main

    monkeypatch.setenv("KEHOU_DATABASE_URL", ctx.settings.database.url)
    monkeypatch.setenv("KEHOU_DATA_DIR", str(ctx.settings.data_dir))
    monkeypatch.setenv("KEHOU_SECRET_KEY", ctx.settings.security.secret_key)
    monkeypatch.setenv("KEHOU_PII_KEY", ctx.settings.security.pii_key)
    assert main(["create-admin", "root", "--password", "short"]) == 2
    assert "password_too_short" in capsys.readouterr().err
    assert main(["create-admin", "root", "--name", "管理员", "--password", "Very-secret-2026"]) == 0
    from kehou.platform.accounts.models import User

    with ctx.db.read_session() as s:
        user = s.query(User).filter_by(username="root").one()
        assert user.role == "platform_admin" and user.password_hash.startswith("$argon2id$")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("admission.notice_working_days", -5),
        ("admission.notice_working_days", 0),
        ("admission.min_reviewers", 0),
        ("admission.review_criteria", [{"key": "a", "label": "甲"}]),
        ("admission.review_criteria", []),
        ("documents.extra_types", [{"key": "x"}]),
        ("documents.allowed_types", ["exe"]),
        ("documents.max_size_bytes", 0),
    ],
)
def test_settings_refuse_values_that_would_break_the_workflow(ctx, world: World, key: str, value: object) -> None:
    with ctx.db.write_session() as s:
        with pytest.raises(ValidationFailed) as exc:
            policy.put(s, ctx.registry, world.actor("decider"), scope=COUNTY, key=key, value=value,
                       effective_from=clock.today_local(), reason="测试")
        assert exc.value.code == "setting_invalid" and exc.value.message.startswith("「")


def test_providers_are_reminded_to_apply_for_rereview(ctx, world: World) -> None:
    from kehou.platform.notifications.models import Notification

    _approve(ctx, world, "provider")
    with ctx.db.write_session() as s:
        until = s.query(WhitelistEntry).one().valid_until
        assert decision.remind_renewals(ctx, s) == 0  # a year away
    clock.advance(dt.timedelta(days=(until - clock.today_local()).days - 59))  # 59 days left (window: 60)
    with ctx.db.write_session() as s:
        assert decision.remind_renewals(ctx, s) == 1
        assert decision.remind_renewals(ctx, s) == 0  # once per period
        note = s.query(Notification).filter(Notification.title.contains("留库审查")).one()
        assert str(until) in note.title and note.user_id == world.users["provider"].id
