"""Hook implementations of the offline gateway (bank transfer / 非税缴款): the gateway and its routes."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import hookimpl


@hookimpl
def kehou_register_payment_providers() -> list[Any]:
    from kehou.plugins.payments_offline.gateway import OfflineGateway

    return [OfflineGateway]


@hookimpl
def kehou_register_routes() -> list[Any]:
    from kehou.plugins.payments_offline.api import API_ROUTES
    from kehou.plugins.payments_offline.views import HTML_ROUTES

    return [*API_ROUTES, *HTML_ROUTES]


@hookimpl
def kehou_register_audit_vocabulary() -> list[Any]:
    from kehou.plugins.payments_offline.audit_words import VOCABULARY

    return [VOCABULARY]
