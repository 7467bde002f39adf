"""Licence scope (经营范围/业务范围) covers every course category applied for."""

from __future__ import annotations

from kehou.vetting.rules.common import make, setting, usable
from kehou.vetting.rules.textscan import normalise
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "licence_scope"
SOURCE = "POLICY.md 准入：入口审核，只提供非学科类服务（004）；课程类别（004、000、002）"

#: Documents whose scope_text states what the organisation may do.
LICENCE_TYPES = ("business_licence", "school_licence", "non_enterprise_registration", "public_institution_certificate")


def check(inp: VettingInput) -> list[Finding]:
    licences = [d for d in usable(inp.documents) if d.staff_id is None and d.doc_type in LICENCE_TYPES
                and d.scope_text.strip()]
    if not licences:
        return [make(NAME, SOURCE, Verdict.warn,
                     "未找到载明经营范围（业务范围）的证照，无法自动核对申请类别，请人工核对",
                     field="scope_text", categories=list(inp.categories))]
    scope = normalise("；".join(d.scope_text for d in licences))
    keywords = setting(inp, "vetting.category_scope_keywords")
    keywords = keywords if isinstance(keywords, dict) else {}
    out: list[Finding] = []
    covered: list[str] = []
    for category in inp.categories:
        listed = keywords.get(category)
        words = [normalise(w) for w in listed if isinstance(w, str) and w.strip()] if isinstance(listed, list) else []
        if not words:
            out.append(make(NAME, SOURCE, Verdict.warn,
                            f"课程类别「{category}」未配置经营范围关键词，请人工核对证照经营范围",
                            category=category, field="scope_text"))
        elif not any(w in scope for w in words):
            out.append(make(NAME, SOURCE, Verdict.block,
                            f"证照经营范围未涵盖申请的课程类别「{category}」（应含以下之一：{'、'.join(words)}）",
                            category=category, field="scope_text", document_ids=[d.id for d in licences]))
        else:
            covered.append(category)
    if out:
        return out
    return [make(NAME, SOURCE, Verdict.passed, f"证照经营范围涵盖申请的全部课程类别：{'、'.join(covered) or '（无）'}",
                 field="scope_text", categories=covered)]


RULE = Rule(name=NAME, label="经营范围涵盖课程类别", source=SOURCE, check=check)
