"""Each instructor holds the county's staff documents, valid for the admission period."""

from __future__ import annotations

from collections import defaultdict

from kehou.vetting.rules.common import best, doc_label, make, staff_name, usable, words
from kehou.vetting.types import DocumentSnapshot, Finding, Rule, Verdict, VettingInput

NAME = "staff_documents"
SOURCE = "POLICY.md 准入：授课人员应具备相应资格，资格材料报县级教育部门备案（002篇1、003方案7）"


def check(inp: VettingInput) -> list[Finding]:
    required = list(dict.fromkeys(words(inp, "documents.staff_required_types")))
    if not inp.staff:
        return [make(NAME, SOURCE, Verdict.passed, "未登记授课人员，无人员材料需核对", field="staff")]
    if not required:
        return [make(NAME, SOURCE, Verdict.passed, "本区县未要求授课人员提交材料", field="staff")]
    held: dict[tuple[int, str], list[DocumentSnapshot]] = defaultdict(list)
    for doc in usable(inp.documents):
        if doc.staff_id is not None:
            held[(doc.staff_id, doc.doc_type)].append(doc)
    out: list[Finding] = []
    for person in inp.staff:
        for doc_type in required:
            label = doc_label(inp, doc_type)
            docs = held.get((person.id, doc_type))
            if not docs:
                out.append(make(NAME, SOURCE, Verdict.block, f"{staff_name(person)}缺少{label}",
                                staff_id=person.id, doc_type=doc_type, field="doc_type"))
                continue
            doc, (verdict, reason, field, value) = best(docs, inp)
            if verdict is not Verdict.passed:
                out.append(make(NAME, SOURCE, verdict, f"{staff_name(person)}的{label}（{doc.original_name}）{reason}",
                                staff_id=person.id, document_id=doc.id, doc_type=doc_type, field=field, value=value))
    if out:
        return out
    labels = "、".join(doc_label(inp, t) for t in required)
    return [make(NAME, SOURCE, Verdict.passed, f"全部{len(inp.staff)}名授课人员均已提交有效的{labels}",
                 field="staff", doc_types=required)]


RULE = Rule(name=NAME, label="授课人员材料", source=SOURCE, check=check)
