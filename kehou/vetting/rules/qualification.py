"""Each instructor has a recorded qualification that matches the certificate uploaded."""

from __future__ import annotations

from kehou.platform.providers.models import QUALIFICATION_LABELS
from kehou.vetting.rules.common import make, staff_name, usable
from kehou.vetting.rules.textscan import normalise
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "staff_qualification"
SOURCE = "POLICY.md 准入：授课人员应具备所授内容相应的资格（002篇1、003方案7）"


def check(inp: VettingInput) -> list[Finding]:
    if not inp.staff:
        return [make(NAME, SOURCE, Verdict.block, "申请未登记任何授课人员，无法核对师资资格", field="staff")]
    numbers: dict[int, list[tuple[int, str]]] = {}
    for doc in usable(inp.documents):
        if doc.staff_id is not None and doc.doc_type == "qualification_certificate" and doc.number.strip():
            numbers.setdefault(doc.staff_id, []).append((doc.id, doc.number))
    out: list[Finding] = []
    for person in inp.staff:
        who = staff_name(person)
        if person.qualification_type not in QUALIFICATION_LABELS:
            out.append(make(NAME, SOURCE, Verdict.block, f"{who}未登记有效的资格类型（教师资格证或专业能力证书）",
                            staff_id=person.id, field="qualification_type", value=person.qualification_type))
            continue
        label = QUALIFICATION_LABELS[person.qualification_type]
        if not person.qualification_number.strip():
            out.append(make(NAME, SOURCE, Verdict.block, f"{who}未登记{label}编号",
                            staff_id=person.id, field="qualification_number"))
            continue
        on_file = numbers.get(person.id, [])
        if on_file and all(normalise(n) != normalise(person.qualification_number) for _, n in on_file):
            doc_id, number = on_file[0]
            out.append(make(NAME, SOURCE, Verdict.warn,
                            f"{who}登记的{label}编号“{person.qualification_number}”与上传证书上的编号“{number}”不一致，请核对",
                            staff_id=person.id, document_id=doc_id, field="number", value=number))
    if out:
        return out
    return [make(NAME, SOURCE, Verdict.passed, f"全部{len(inp.staff)}名授课人员均已登记资格证书及编号", field="staff")]


RULE = Rule(name=NAME, label="授课人员资格", source=SOURCE, check=check)
