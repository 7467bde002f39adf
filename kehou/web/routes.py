"""Every core route handler, in one list."""

from __future__ import annotations

from typing import Any


def core_routes() -> list[Any]:
    from kehou.platform.accounts.api import AccountsApi
    from kehou.platform.admission.api import AdmissionApi
    from kehou.platform.agreements.api import AgreementsApi
    from kehou.platform.audit.api import AuditApi
    from kehou.platform.calendar.api import CalendarApi
    from kehou.platform.counties.api import CountiesApi
    from kehou.platform.documents.api import DocumentsApi, signed_file
    from kehou.platform.exits.api import ExitsApi
    from kehou.platform.policy.api import PolicyApi
    from kehou.platform.privacy.views_family import PrivacyApi
    from kehou.platform.providers.api import ProvidersApi
    from kehou.platform.students.api import StudentsApi
    from kehou.platform.transparency.api import PublicApi
    from kehou.vetting.api import VettingApi
    from kehou.vetting.blacklist_api import BlacklistApi
    from kehou.web.health import healthz, readyz
    from kehou.web.metrics import metrics
    from kehou.web.views import html_routes

    return [AccountsApi, AdmissionApi, AgreementsApi, AuditApi, CalendarApi, CountiesApi, PolicyApi, ProvidersApi, PublicApi,
            DocumentsApi, VettingApi, BlacklistApi,
            StudentsApi, ExitsApi, PrivacyApi,
            signed_file, healthz, readyz, metrics,
            *html_routes()]
