"""Build the plugin manager; per-county hook callers for enabled plugins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pluggy

from kehou import hookspecs

#: Core plugins: always on, registered before entry-point plugins.
CORE_PLUGINS = ("kehou.platform.core_plugin", "kehou.vetting.plugin")


def build_plugin_manager(*, load_entrypoints: bool = True, extra: list[Any] | None = None) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("kehou")
    pm.add_hookspecs(hookspecs)
    import importlib

    for name in CORE_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints("kehou")
    for plugin in extra or []:
        pm.register(plugin)
    pm.check_pending()
    return pm


#: how the settings page names the bundled plugins (another plugin is shown by its name)
PLUGIN_LABELS = {"course_catalogue": "课程超市与选课", "billing_cap": "收费、限额与结算", "outcome_reporting": "监管与成效评价",
                 "payments_offline": "线下收款对账", "payments_stripe": "在线支付（Stripe）"}


def plugin_choices(pm: pluggy.PluginManager) -> Callable[[Mapping[str, Any]], dict[str, str]]:
    """The values ``plugins.enabled`` may hold: the optional plugins installed now (asked when a value is checked,
    so a plugin registered later counts), each with its label."""
    return lambda _settings: {name: PLUGIN_LABELS.get(name, name) for name in optional_plugin_names(pm)}


def optional_plugin_names(pm: pluggy.PluginManager) -> list[str]:
    """Plugins a county may switch on or off (everything but the core)."""
    return [name for name, _ in pm.list_name_plugin() if name not in CORE_PLUGINS]


def hooks_for_county(pm: pluggy.PluginManager, hook_name: str, enabled: list[str]) -> Any:
    """A caller for ``hook_name`` that skips optional plugins the county has not enabled."""
    disabled = [pm.get_plugin(n) for n in optional_plugin_names(pm) if n not in enabled]
    if not disabled:
        return getattr(pm.hook, hook_name)
    return pm.subset_hook_caller(hook_name, remove_plugins=disabled)
