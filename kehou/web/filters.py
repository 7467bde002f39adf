"""Jinja filters and globals shared by every page."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, pass_context

from kehou.platform.accounts.models import DEPARTMENTS, ROLE_LABELS
from kehou.platform.admission.models import STATUS_LABELS
from kehou.platform.providers.models import ORG_TYPE_LABELS, QUALIFICATION_LABELS
from kehou.timeutil import fmt_local
from kehou.vetting.types import VERDICT_LABELS
from kehou.web.headers import nonce_of
from kehou.web.text import COMMON


def tel(number: str) -> str:
    """The dialable part of a phone number for a ``tel:`` link: digits, a leading +, and the - of an area code;
    "0571-87654321（工作日 9:00-17:00）" → "0571-87654321"."""
    match = re.search(r"\+?\d[\d\- ]{2,}\d", number or "")
    return re.sub(r"[ ]", "", match.group(0)) if match else ""


@pass_context
def csp_nonce(context: Any) -> str:
    """The nonce of this response's Content-Security-Policy, for a page's own ``<style nonce="…">``."""
    request = context.get("request")
    return nonce_of(request.scope) if request is not None else ""


def install(env: Environment) -> None:
    env.filters["local"] = fmt_local
    env.filters["tel"] = tel
    env.filters["local_date"] = lambda v: fmt_local(v, with_time=False)
    env.globals.update(
        csp_nonce=csp_nonce,
        c=COMMON,
        STATUS_LABELS=STATUS_LABELS,
        ROLE_LABELS=ROLE_LABELS,
        ORG_TYPE_LABELS=ORG_TYPE_LABELS,
        QUALIFICATION_LABELS=QUALIFICATION_LABELS,
        DEPARTMENTS=DEPARTMENTS,
        VERDICT_LABELS=VERDICT_LABELS,
        RUN_STATUS={"queued": "排队中", "running": "核查中", "done": "已完成", "failed": "出错"},
        DOC_STATUS={"pending": "待审核", "accepted": "已通过", "rejected": "已退回", "replaced": "已被替换"},
    )


