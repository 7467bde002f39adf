"""Stripe payments (WeChat Pay, Alipay, cards) for the billing plugin: the gateway and its webhook.

Off unless ``KEHOU_STRIPE_SECRET_KEY`` and ``KEHOU_STRIPE_WEBHOOK_SECRET`` are both set. See
``docs/payments_stripe.md``."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import hookimpl


@hookimpl
def kehou_register_payment_providers() -> list[type]:
    from kehou.plugins.payments_stripe.gateway import StripeGateway

    return [StripeGateway]


@hookimpl
def kehou_register_routes() -> list[Any]:
    from kehou.plugins.payments_stripe.webhook import stripe_webhook

    return [stripe_webhook]
