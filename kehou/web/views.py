"""All HTML controllers, in one list."""

from __future__ import annotations

from typing import Any


def html_routes() -> list[Any]:
    from kehou.platform.accounts.views import AccountPages
    from kehou.platform.admission.views import AdmissionPages
    from kehou.platform.agreements.views import AgreementPages
    from kehou.platform.audit.views import AuditPages
    from kehou.platform.calendar.views import CalendarPages
    from kehou.platform.documents.views import DocumentPages
    from kehou.platform.exits.views import ExitPages
    from kehou.platform.policy.views import PolicyPages
    from kehou.platform.privacy.views import PrivacyPages
    from kehou.platform.privacy.views_family import FamilyPrivacyPages, NoticePages, SchoolPrivacyPages
    from kehou.platform.providers.views import ProviderPages
    from kehou.platform.transparency.views import PublicPages
    from kehou.vetting.blacklist_views import BlacklistPages
    from kehou.vetting.try_views import TryTitlePages
    from kehou.vetting.views import VettingPages

    return [AccountPages, AdmissionPages, AgreementPages, AuditPages, CalendarPages, BlacklistPages, TryTitlePages,
            DocumentPages, ExitPages, PolicyPages, PrivacyPages, FamilyPrivacyPages, SchoolPrivacyPages, NoticePages,
            ProviderPages, PublicPages, VettingPages]
