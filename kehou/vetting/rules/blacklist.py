"""The county blacklist (黑名单): organisation by USCC, people by ID number, as keyed hashes.

Findings show masked identifiers only (last four characters), never hashes or full numbers.
"""

from __future__ import annotations

from kehou.platform.providers.identifiers import mask_tail
from kehou.vetting.rules.common import make, staff_name
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "blacklist"
SOURCE = "POLICY.md 准入：严禁有不良记录人员参与课后服务（002篇1）；退出机制（004、002篇2）；区县黑名单"


def check(inp: VettingInput) -> list[Finding]:
    """block on a match; warn when an identifier has no hash and cannot be compared."""
    p, listed = inp.provider, inp.blacklist
    out: list[Finding] = []

    def person(hash_: str, who: str, last4: str, **evidence: object) -> None:
        masked = f"身份证号尾号{last4}" if last4 else "身份证号未登记"
        if not hash_:
            out.append(make(NAME, SOURCE, Verdict.warn, f"{who}（{masked}）缺少身份证号摘要，无法比对黑名单，请人工核查",
                            field="id_hash", id_last4=last4, **evidence))
        elif ("person", hash_) in listed:
            out.append(make(NAME, SOURCE, Verdict.block, f"{who}（{masked}）在本区县黑名单中",
                            field="id_hash", id_last4=last4, **evidence))

    masked_uscc = mask_tail(p.uscc)
    if not p.uscc_hash:
        out.append(make(NAME, SOURCE, Verdict.warn, f"{p.name}缺少统一社会信用代码摘要，无法比对黑名单，请人工核查",
                        subject="organisation", field="uscc_hash", value=masked_uscc))
    elif ("organisation", p.uscc_hash) in listed:
        out.append(make(NAME, SOURCE, Verdict.block, f"{p.name}（统一社会信用代码{masked_uscc}）在本区县黑名单中",
                        subject="organisation", field="uscc_hash", value=masked_uscc))
    person(p.legal_rep_id_hash, f"法定代表人{p.legal_rep_name}", p.legal_rep_id_last4, subject="legal_rep")
    for s in inp.staff:
        person(s.id_hash, staff_name(s), s.id_last4, subject="staff", staff_id=s.id)
    if out:
        return out
    return [make(NAME, SOURCE, Verdict.passed,
                 f"机构、法定代表人及{len(inp.staff)}名授课人员均未命中本区县黑名单", subject="all")]


RULE = Rule(name=NAME, label="黑名单比对", source=SOURCE, check=check)
