"""Each instructor's criminal-record certificate (无犯罪记录证明) is recent enough."""

from __future__ import annotations

from kehou.vetting.rules.common import add_months, int_setting, make, staff_name
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "criminal_record"
SOURCE = "POLICY.md 准入：严禁有不良记录人员参与课后服务（002篇1）；区县设置 vetting.criminal_record_max_months"


def check(inp: VettingInput) -> list[Finding]:
    """Judged on ``criminal_record_issued_on`` as registered for the person; that the
    certificate itself was uploaded is the staff_documents rule's job.

    block: issued in the future, or more than N months ago (N: the county setting);
    warn: still within N months today, but not for ``documents.expiry_warning_days`` more days.
    """
    if not inp.staff:
        return [make(NAME, SOURCE, Verdict.passed, "未登记授课人员，无需核对无犯罪记录证明", field="staff")]
    months = int_setting(inp, "vetting.criminal_record_max_months")
    window = int_setting(inp, "documents.expiry_warning_days")
    out = []
    for person in inp.staff:
        issued = person.criminal_record_issued_on
        limit = add_months(issued, months)
        evidence = {"staff_id": person.id, "field": "criminal_record_issued_on", "value": issued.isoformat()}
        who = staff_name(person)
        if issued > inp.today:
            out.append(make(NAME, SOURCE, Verdict.block, f"{who}的无犯罪记录证明开具日期{issued}晚于今天，请核对", **evidence))
        elif limit < inp.today:
            out.append(make(NAME, SOURCE, Verdict.block,
                            f"{who}的无犯罪记录证明开具于{issued}，已超过{months}个月，请重新开具", **evidence))
        elif (limit - inp.today).days <= window:
            out.append(make(NAME, SOURCE, Verdict.warn,
                            f"{who}的无犯罪记录证明开具于{issued}，{limit}后即超过{months}个月"
                            f"（剩余{(limit - inp.today).days}天），请提前重新开具",
                            **evidence))
    if out:
        return out
    return [make(NAME, SOURCE, Verdict.passed,
                 f"全部{len(inp.staff)}名授课人员的无犯罪记录证明均在{months}个月内开具", field="staff")]


RULE = Rule(name=NAME, label="无犯罪记录证明时效", source=SOURCE, check=check)
