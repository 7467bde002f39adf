"""Hook implementations of the offline gateway (bank transfer / 非税缴款): the gateway, the collectors' bank
accounts families pay into (county settings), its routes and its audit words."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kehou.pluginapi import SettingColumn, SettingSpec, hookimpl

ACCOUNT_FIELDS = ("name", "bank", "number")
ACCOUNT_COLUMNS = (SettingColumn("name", "户名"), SettingColumn("bank", "开户银行"), SettingColumn("number", "账号"))
MAX_ACCOUNT_TEXT = 100


def _filled(values: list[Any]) -> bool:
    return all(isinstance(v, str) and v.strip() and len(v) <= MAX_ACCOUNT_TEXT for v in values)


def _school_accounts(value: Any) -> str | None:
    for school, account in value.items():
        if not (isinstance(account, list) and len(account) == 3 and _filled(account)):
            return f"「{school}」须填写户名、开户银行和账号（各不超过{MAX_ACCOUNT_TEXT}字）。"
    return None


def _county_account(value: Any) -> str | None:
    if value and not (set(value) == set(ACCOUNT_FIELDS) and _filled([value[k] for k in ACCOUNT_FIELDS])):
        return f"户名、开户银行和账号须一起填写（各不超过{MAX_ACCOUNT_TEXT}字），或都不填。"
    return None


#: Where families transfer the fees: the collector's special account (``billing.collector``). Billing's bill page
#: shows it to the family; the school finance page shows the school its own.
SETTINGS = [
    SettingSpec("payments_offline.school_accounts", dict, {}, "学校课后服务专户（家长转账的收款账户）",
                "收费主体为学校时，家长账单上显示的收款账户：每所学校一行，学校名称与平台上的名称一致",
                check=_school_accounts, columns=(SettingColumn("*", "学校名称"), *ACCOUNT_COLUMNS)),
    SettingSpec("payments_offline.county_account", dict, {}, "教育局课后服务专户（家长转账的收款账户）",
                "收费主体为教育局时，家长账单上显示的收款账户", check=_county_account,
                columns=tuple(replace(c, optional=True) for c in ACCOUNT_COLUMNS)),
]


@hookimpl
def kehou_register_settings() -> list[Any]:
    return SETTINGS


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


@hookimpl
def kehou_retention_sweep(session: Any, county_code: str, due: dict[str, Any]) -> list[Any]:
    from kehou.plugins.payments_offline.retention import sweep

    return sweep(session, county_code, due)
