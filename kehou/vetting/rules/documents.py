"""Required organisation documents: present and valid for the whole admission period."""

from __future__ import annotations

from collections import defaultdict

from kehou.platform.providers import org_types
from kehou.vetting.rules.common import best, doc_label, make, setting, usable
from kehou.vetting.types import DocumentSnapshot, Finding, Rule, Verdict, VettingInput

NAME = "required_documents"
SOURCE = "POLICY.md 准入：入口审核、未经审核的机构不得入校（004、002篇2）；责任保险（002篇2、003方案7）"


def check(inp: VettingInput) -> list[Finding]:
    p = inp.provider
    org_label = org_types.label(p.org_type, org_types.in_county(inp.settings))
    by_org = setting(inp, "documents.required_types")
    required = by_org.get(p.org_type) if isinstance(by_org, dict) else None
    if not isinstance(required, list) or not required:
        return [make(NAME, SOURCE, Verdict.warn,
                     f"本区县未配置「{org_label}」类机构的必备材料，请人工核对材料是否齐全",
                     field="org_type", value=p.org_type)]
    by_type: dict[str, list[DocumentSnapshot]] = defaultdict(list)
    for doc in usable(d for d in inp.documents if d.staff_id is None):
        by_type[doc.doc_type].append(doc)
    out: list[Finding] = []
    for doc_type in dict.fromkeys(required):
        label = doc_label(inp, doc_type)
        if not by_type.get(doc_type):
            out.append(make(NAME, SOURCE, Verdict.block, f"缺少必备材料：{label}", doc_type=doc_type, field="doc_type"))
            continue
        doc, (verdict, reason, field, value) = best(by_type[doc_type], inp)
        if verdict is not Verdict.passed:
            out.append(make(NAME, SOURCE, verdict, f"{label}（{doc.original_name}）{reason}",
                            document_id=doc.id, doc_type=doc_type, field=field, value=value))
    if out:
        return out
    labels = "、".join(doc_label(inp, t) for t in dict.fromkeys(required))
    return [make(NAME, SOURCE, Verdict.passed, f"必备材料齐全，且在准入期内（至{inp.period_end}）有效：{labels}",
                 doc_types=list(dict.fromkeys(required)))]


RULE = Rule(name=NAME, label="必备材料齐全有效", source=SOURCE, check=check)
