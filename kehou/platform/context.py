"""The process-wide context: settings, database, plugins, policy registry, PII vault."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from kehou.db import Database
from kehou.platform.accounts.security import configure_hashing
from kehou.platform.accounts.tokencache import TokenCache
from kehou.platform.pii import PiiVault
from kehou.platform.pii import install as install_vault
from kehou.platform.policy.services import SettingsRegistry
from kehou.settings import Settings, check_production_keys


@dataclass
class Context:
    settings: Settings
    db: Database
    pm: pluggy.PluginManager
    registry: SettingsRegistry
    vault: PiiVault
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def tokens(self) -> TokenCache:
        """The per-process API token cache (``KEHOU_AUTH_CACHE_SECONDS``)."""
        if "tokens" not in self.extra:
            self.extra["tokens"] = TokenCache(self.settings.security.auth_cache_s)
        return self.extra["tokens"]

    @property
    def storage(self) -> Any:
        """The document store chosen by settings (created on first use)."""
        if "storage" not in self.extra:
            from kehou.storage import make_storage

            self.extra["storage"] = make_storage(self.settings.storage, self.settings.security.secret_key)
        return self.extra["storage"]

    def close(self) -> None:
        self.db.dispose()

    def county_hook(self, session: Any, county_code: str, hook_name: str) -> Any:
        """A caller for ``hook_name`` limited to the core and the plugins the county enabled."""
        from kehou.platform.policy import services as policy
        from kehou.plugin_manager import hooks_for_county

        enabled = policy.get(session, self.registry, county_code, "plugins.enabled")
        return hooks_for_county(self.pm, hook_name, list(enabled))

    def hook_for_settings(self, settings: Mapping[str, Any], hook_name: str) -> Any:
        """As :meth:`county_hook`, from the county's already resolved settings (no query)."""
        from kehou.plugin_manager import hooks_for_county

        return hooks_for_county(self.pm, hook_name, list(settings.get("plugins.enabled") or []))


def build_context(settings: Settings, *, plugins: list[Any] | None = None, load_entrypoints: bool = True) -> Context:
    from kehou.plugin_manager import build_plugin_manager, plugin_choices

    check_production_keys(settings)
    sec = settings.security
    configure_hashing(sec.argon2_time_cost, sec.argon2_memory_kib, sec.argon2_parallelism)
    pm = build_plugin_manager(load_entrypoints=load_entrypoints, extra=plugins)
    specs = [spec for answer in pm.hook.kehou_register_settings() for spec in answer]
    specs = [dataclasses.replace(s, choices_of=plugin_choices(pm)) if s.key == "plugins.enabled" else s for s in specs]
    db = Database(settings.database.url, pool_size=settings.database.pool_size, echo=settings.database.echo)
    vault = PiiVault(settings.security.pii_key)
    install_vault(vault)
    return Context(settings=settings, db=db, pm=pm, registry=SettingsRegistry(specs), vault=vault)
