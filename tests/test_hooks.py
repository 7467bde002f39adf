"""The plugin contract: every hook documented, the manager's checks, defaults, per-county enabling."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
import types
from pathlib import Path
from typing import Any

import pluggy
import pytest
from litestar import get
from litestar.testing import TestClient

from kehou import hookspecs
from kehou.app import create_app
from kehou.errors import ValidationFailed
from kehou.platform import core_plugin
from kehou.platform.context import Context, build_context
from kehou.platform.policy import services as policy
from kehou.plugin_manager import CORE_PLUGINS, build_plugin_manager, hooks_for_county, optional_plugin_names
from kehou.pluginapi import PeriodicTask, Refusal, SettingSpec, Term, hookimpl
from kehou.settings import Settings
from kehou.timeutil import clock
from tests.factories import ADMIN, CITY, COUNTY, OTHER_COUNTY, World

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugin_hooks.md"
GROUPS = ("registration", "resolution", "policy", "events")


def specs() -> dict[str, tuple[list[str], dict[str, Any], str]]:
    """name -> (argument names, spec options, group from the section comments of hookspecs.py)."""
    source = inspect.getsource(hookspecs).splitlines()
    out = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        opts = getattr(fn, "kehou_spec", None)
        if opts is None:
            continue
        line = inspect.getsourcelines(fn)[1]
        group = next(g for text in reversed(source[:line]) if text.startswith("# ---")
                     for g in GROUPS if g in text)
        out[name] = (list(inspect.signature(fn).parameters), opts, group)
    return out


def doc_sections() -> dict[str, str]:
    """The text of each ``### `kehou_…``` section of docs/plugin_hooks.md."""
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `(kehou_\w+)`\s*$", text, flags=re.M)
    return {name: re.split(r"^##? ", body, flags=re.M)[0] for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def python_blocks(section: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


# --- the documentation ---------------------------------------------------------------


def test_there_are_hookspecs_to_check() -> None:
    names = set(specs())
    assert {"kehou_register_settings", "kehou_term_for_date", "kehou_application_decided"} <= names
    assert len(names) == 19


@pytest.mark.parametrize("name", sorted(specs()))
def test_every_hookspec_is_documented_with_its_arguments(name: str) -> None:
    args, opts, group = specs()[name]
    sections = doc_sections()
    assert name in sections, f"docs/plugin_hooks.md has no section for {name}"
    section = sections[name]
    for arg in args:
        assert f"`{arg}`" in section, f"argument {arg!r} of {name} is not documented"
    assert f"**Group:** {group}." in section
    assert f"**firstresult:** {'yes' if opts['firstresult'] else 'no'}." in section
    for heading in ("**When:**", "**Arguments:**", "**Returns:**"):
        assert heading in section, f"{name}: {heading} missing"
    # in the summary table too, with the same group and firstresult
    row = re.search(rf"^\| `{name}` \| (\w+) \| (yes|no) \|", DOC.read_text(encoding="utf-8"), flags=re.M)
    assert row is not None and row.groups() == (group, "yes" if opts["firstresult"] else "no")


@pytest.mark.parametrize("name", sorted(specs()))
def test_every_documented_example_is_a_valid_hookimpl(name: str) -> None:
    """Run each section's example and register it: names and arguments must match the spec."""
    args = specs()[name][0]
    [code] = python_blocks(doc_sections()[name])
    module = types.ModuleType(f"doc_example_{name}")
    exec(compile(code, f"<docs/plugin_hooks.md {name}>", "exec"), module.__dict__)  # noqa: S102 - our own docs
    impl = getattr(module, name)
    assert getattr(impl, "kehou_impl", None) is not None, f"the example for {name} is not marked @hookimpl"
    assert set(inspect.signature(impl).parameters) <= set(args)
    pm = build_plugin_manager(load_entrypoints=False, extra=[module])
    assert pm.is_registered(module)


def test_no_documented_hook_is_unknown() -> None:
    assert set(doc_sections()) == set(specs())


def test_docs_explain_entry_points_and_county_settings() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "[project.entry-points.kehou]" in text
    assert "SettingSpec(" in text and "plugins.enabled" in text and "hooks_for_county" in text


# --- the plugin manager ------------------------------------------------------------


def test_build_plugin_manager_registers_the_core_plugin_and_checks() -> None:
    pm = build_plugin_manager()
    assert pm.project_name == "kehou"
    assert pm.get_plugin("kehou.platform.core_plugin") is core_plugin
    assert CORE_PLUGINS[0] not in optional_plugin_names(pm)
    pm.check_pending()
    for name in specs():
        assert getattr(pm.hook, name).has_spec()
    core_impls = {name for name in specs() if any(i.plugin is core_plugin for i in getattr(pm.hook, name).get_hookimpls())}
    assert core_impls == {"kehou_register_settings", "kehou_register_periodic_tasks", "kehou_term_for_date",
                          "kehou_application_decided", "kehou_exit_proposed", "kehou_register_job_tables",
                          "kehou_register_commands"}
    keys = {spec.key for answer in pm.hook.kehou_register_settings() for spec in answer}
    assert {"plugins.enabled", "admission.notice_working_days"} <= keys


def test_a_misspelt_hook_fails_check_pending() -> None:
    class Typo:
        @hookimpl
        def kehou_term_for_dat(self, county_code: str, day: dt.date) -> None:
            return None

    with pytest.raises(pluggy.PluginValidationError, match="kehou_term_for_dat"):
        build_plugin_manager(load_entrypoints=False, extra=[Typo()])


def test_an_argument_the_spec_lacks_is_refused() -> None:
    class Extra:
        @hookimpl
        def kehou_term_for_date(self, county_code: str, day: dt.date, school_id: int) -> None:
            return None

    with pytest.raises(pluggy.PluginValidationError, match="school_id"):
        build_plugin_manager(load_entrypoints=False, extra=[Extra()])


# --- resolution: the default term and an override -----------------------------------


@pytest.mark.parametrize(("day", "name", "start", "end"), [
    (dt.date(2025, 10, 8), "2025-2026学年第一学期", dt.date(2025, 9, 1), dt.date(2026, 1, 31)),
    (dt.date(2025, 9, 1), "2025-2026学年第一学期", dt.date(2025, 9, 1), dt.date(2026, 1, 31)),
    (dt.date(2026, 1, 31), "2025-2026学年第一学期", dt.date(2025, 9, 1), dt.date(2026, 1, 31)),
    (dt.date(2026, 2, 1), "2025-2026学年第二学期", dt.date(2026, 2, 1), dt.date(2026, 8, 31)),
    (dt.date(2026, 8, 31), "2025-2026学年第二学期", dt.date(2026, 2, 1), dt.date(2026, 8, 31)),
])
def test_default_term_for_date_answers_when_no_plugin_does(day: dt.date, name: str, start: dt.date, end: dt.date) -> None:
    pm = build_plugin_manager(load_entrypoints=False)
    assert pm.hook.kehou_term_for_date(county_code=COUNTY, day=day) == Term(name, start, end)


class XihuTerms:
    """A county calendar: answers for one county, passes (None) for the others."""

    TERM = Term("2025-2026学年第一学期（西湖区）", dt.date(2025, 8, 28), dt.date(2026, 1, 23))

    def __init__(self) -> None:
        self.calls: list[tuple[str, dt.date]] = []

    @hookimpl
    def kehou_term_for_date(self, county_code: str, day: dt.date) -> Term | None:
        self.calls.append((county_code, day))
        if county_code == COUNTY and self.TERM.start <= day <= self.TERM.end:
            return self.TERM
        return None


def test_a_plugin_overrides_the_default_term_first_answer_wins() -> None:
    plugin = XihuTerms()
    pm = build_plugin_manager(load_entrypoints=False, extra=[plugin])
    day = dt.date(2025, 8, 29)  # the default would say: the spring term of 2024-2025
    assert pm.hook.kehou_term_for_date(county_code=COUNTY, day=day) == XihuTerms.TERM  # one Term, not a list
    assert pm.hook.kehou_term_for_date(county_code=OTHER_COUNTY, day=day) == Term(
        "2024-2025学年第二学期", dt.date(2025, 2, 1), dt.date(2025, 8, 31))  # the plugin passed: default
    assert plugin.calls == [(COUNTY, day), (OTHER_COUNTY, day)]


def test_the_first_non_none_answer_stops_the_call() -> None:
    class Fixed:
        TERM = Term("固定学期", dt.date(2025, 9, 1), dt.date(2026, 1, 20))

        @hookimpl
        def kehou_term_for_date(self, county_code: str, day: dt.date) -> Term:
            return self.TERM

    later = XihuTerms()
    pm = build_plugin_manager(load_entrypoints=False, extra=[Fixed(), later])  # `later` is asked first
    assert pm.hook.kehou_term_for_date(county_code=COUNTY, day=dt.date(2025, 10, 1)) == XihuTerms.TERM
    assert pm.hook.kehou_term_for_date(county_code=OTHER_COUNTY, day=dt.date(2025, 10, 1)) == Fixed.TERM


# --- per-county enabling ----------------------------------------------------------------


class MaxTwoPerDay:
    @hookimpl
    def kehou_validate_enrollment(self, enrollment: Any, policy: Any) -> list[Refusal]:
        return [Refusal("too_many_per_day", "同一天最多参加两门课程。")]


class NoWeekend:
    @hookimpl
    def kehou_validate_enrollment(self, enrollment: Any) -> list[Refusal]:
        return [Refusal("weekend", "周末不安排课后服务。")]


def test_hooks_for_county_skips_plugins_not_enabled() -> None:
    terms, two, weekend = XihuTerms(), MaxTwoPerDay(), NoWeekend()
    pm = build_plugin_manager(load_entrypoints=False, extra=[terms, two, weekend])
    names = {p: pm.get_name(p) for p in (terms, two, weekend)}
    assert set(optional_plugin_names(pm)) == set(names.values())
    day = dt.date(2025, 10, 8)

    caller = hooks_for_county(pm, "kehou_term_for_date", enabled=[])
    assert caller(county_code=COUNTY, day=day).name == "2025-2026学年第一学期"  # the core default still answers
    assert terms.calls == []  # the disabled plugin was never asked
    caller = hooks_for_county(pm, "kehou_term_for_date", enabled=[names[terms]])
    assert caller(county_code=COUNTY, day=day) == XihuTerms.TERM  # still firstresult

    def refusals(enabled: list[str]) -> set[str]:
        answers = hooks_for_county(pm, "kehou_validate_enrollment", enabled)(enrollment=object(), policy={})
        return {r.code for answer in answers for r in answer}

    assert refusals([]) == set()
    assert refusals([names[two]]) == {"too_many_per_day"}
    assert refusals([names[two], names[weekend], "not-installed"]) == {"too_many_per_day", "weekend"}
    # core implementations are never filtered out
    settings = hooks_for_county(pm, "kehou_register_settings", enabled=[])()
    assert core_plugin.CORE_SETTINGS in settings


def test_counties_enable_plugins_through_their_policy(ctx: Context, world: World) -> None:
    plugin = XihuTerms()
    pm = ctx.pm  # installed beside the bundled plugins: a county may enable only what is installed
    name = str(pm.register(plugin))
    day = dt.date(2025, 10, 8)
    with ctx.db.write_session() as s, pytest.raises(ValidationFailed) as unknown:
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=["course_catalog"],
                   effective_from=clock.today_local(), reason="拼错了插件名")
    assert unknown.value.code == "setting_invalid" and "不能取「course_catalog」" in unknown.value.message

    def term_in(county: str) -> Term:
        with ctx.db.read_session() as s:
            enabled = policy.get(s, ctx.registry, county, "plugins.enabled")
        return hooks_for_county(pm, "kehou_term_for_date", enabled)(county_code=county, day=day)

    assert term_in(COUNTY).name == term_in(OTHER_COUNTY).name == "2025-2026学年第一学期"
    with ctx.db.write_session() as s:
        policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="plugins.enabled", value=[name],
                   effective_from=clock.today_local(), reason="西湖区启用本区校历")
    assert term_in(COUNTY) == XihuTerms.TERM
    assert term_in(OTHER_COUNTY).name == "2025-2026学年第一学期"  # the neighbour did not enable it
    with ctx.db.write_session() as s:  # a city-wide value (scope: the 4-digit prefix) reaches the other counties
        policy.put(s, ctx.registry, ADMIN, scope=CITY[:4], key="plugins.enabled", value=[name],
                   effective_from=clock.today_local(), reason="杭州市统一启用")
    assert plugin.calls[-1] == (COUNTY, day)
    term_in(OTHER_COUNTY)
    assert plugin.calls[-1] == (OTHER_COUNTY, day)


# --- registration through a plugin module ---------------------------------------------


@get("/api/v1/music/health", sync_to_thread=False)
def _music_health() -> dict[str, str]:
    return {"plugin": "music", "status": "ok"}


def _music_plugin() -> types.ModuleType:
    module = types.ModuleType("kehou_music_test")

    @hookimpl
    def kehou_register_settings() -> list[SettingSpec]:
        return [SettingSpec("music.max_class_size", int, 30, "每班人数上限")]

    @hookimpl
    def kehou_register_routes() -> list[Any]:
        return [_music_health]

    @hookimpl
    def kehou_register_periodic_tasks() -> list[PeriodicTask]:
        return [PeriodicTask("music-remind", "music.remind", 3600.0, {"days": 7})]

    module.kehou_register_settings = kehou_register_settings  # type: ignore[attr-defined]
    module.kehou_register_routes = kehou_register_routes  # type: ignore[attr-defined]
    module.kehou_register_periodic_tasks = kehou_register_periodic_tasks  # type: ignore[attr-defined]
    return module


def test_a_plugin_declares_settings_and_routes(settings: Settings, world: World) -> None:
    plugin = _music_plugin()
    pctx = build_context(settings, plugins=[plugin], load_entrypoints=False)
    try:
        assert pctx.registry.spec("music.max_class_size").default == 30
        with pctx.db.write_session() as s:
            assert policy.get(s, pctx.registry, COUNTY, "music.max_class_size") == 30
            policy.put(s, pctx.registry, ADMIN, scope=COUNTY, key="music.max_class_size", value="25",
                       effective_from=clock.today_local(), reason="场地较小")
        with pctx.db.read_session() as s:
            assert policy.get(s, pctx.registry, COUNTY, "music.max_class_size") == 25
            assert policy.get(s, pctx.registry, OTHER_COUNTY, "music.max_class_size") == 30
        with TestClient(app=create_app(settings, context=pctx), base_url="http://127.0.0.1") as client:
            resp = client.get("/api/v1/music/health")
            assert resp.status_code == 200 and resp.json() == {"plugin": "music", "status": "ok"}
    finally:
        pctx.close()


def test_a_setting_key_declared_twice_stops_start_up(settings: Settings) -> None:
    clash = types.ModuleType("kehou_clash_test")

    @hookimpl
    def kehou_register_settings() -> list[SettingSpec]:
        return [SettingSpec("admission.pass_score", int, 50, "合格线")]

    clash.kehou_register_settings = kehou_register_settings  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="admission.pass_score"):
        build_context(settings, plugins=[clash], load_entrypoints=False)


def test_plugin_periodic_tasks_reach_the_beat_schedule(settings: Settings, ctx: Context,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """jobs.register builds its own manager from the installed entry points; simulate one installed."""
    import kehou.plugin_manager as plugin_manager
    from kehou.tasks import app as task_app

    real = plugin_manager.build_plugin_manager
    plugin = _music_plugin()
    monkeypatch.setattr(plugin_manager, "build_plugin_manager", lambda **kw: real(load_entrypoints=False, extra=[plugin]))
    app = task_app.configure(settings, ctx)
    assert app.conf.beat_schedule["music-remind"]["task"] == "music.remind"
    assert app.conf.beat_schedule["music-remind"]["kwargs"] == {"days": 7}
    assert app.conf.beat_schedule["close-ended-notices"]["task"] == "kehou.admission.close_ended_notices"
    monkeypatch.undo()
    task_app.configure(settings, ctx)


def test_entry_point_plugins_are_named_after_the_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``plugins.enabled`` lists is the entry-point name."""
    import importlib.metadata

    module = types.ModuleType("kehou_music_ep")
    module.kehou_term_for_date = XihuTerms().kehou_term_for_date  # type: ignore[attr-defined]

    class FakeEntryPoint:
        group, name, value = "kehou", "music", "kehou_music_ep"

        def load(self) -> types.ModuleType:
            return module

    class FakeDist:
        entry_points = [FakeEntryPoint()]
        metadata = {"name": "kehou-music"}

    monkeypatch.setattr(importlib.metadata, "distributions", lambda: [FakeDist()])
    pm = build_plugin_manager()
    assert pm.get_plugin("music") is module
    assert optional_plugin_names(pm) == ["music"]
    day = dt.date(2025, 10, 8)
    assert hooks_for_county(pm, "kehou_term_for_date", ["music"])(county_code=COUNTY, day=day) == XihuTerms.TERM
    assert hooks_for_county(pm, "kehou_term_for_date", [])(county_code=COUNTY, day=day).name == "2025-2026学年第一学期"


def test_ast_of_hookspecs_matches_what_pluggy_sees() -> None:
    """Guards the parsing above: every function in hookspecs.py is a spec."""
    tree = ast.parse(inspect.getsource(hookspecs))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert functions == set(specs())
