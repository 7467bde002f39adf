"""Built-in vetting rules, one small module per rule (shared helpers in common, textscan, content)."""

from __future__ import annotations

from kehou.vetting.rules import (
    academic_content,
    blacklist,
    criminal_record,
    documents,
    licence_scope,
    org_type,
    promotion,
    qualification,
    serving_teacher,
    staff_documents,
    uscc,
)
from kehou.vetting.types import Rule

#: In the order a reviewer reads them: the organisation, its documents, its people, its courses.
BUILTIN_RULES: tuple[Rule, ...] = (
    uscc.RULE,
    org_type.RULE,
    documents.RULE,
    licence_scope.RULE,
    qualification.RULE,
    staff_documents.RULE,
    criminal_record.RULE,
    serving_teacher.RULE,
    blacklist.RULE,
    academic_content.RULE,
    promotion.RULE,
)

__all__ = ["BUILTIN_RULES"]
