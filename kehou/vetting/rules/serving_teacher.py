"""Serving school teachers (在职教师) among the instructors, where the county forbids them."""

from __future__ import annotations

from kehou.vetting.rules.common import make, setting, staff_name
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "serving_teacher"
SOURCE = "区县设置 vetting.forbid_serving_teachers；严禁在职教师组织或变相参与校外培训（004所附：稻城县“四个严禁”）"


def check(inp: VettingInput) -> list[Finding]:
    """block each serving teacher where forbidden; where allowed, warn so the reviewer
    confirms the teacher's school has agreed and no paid subject teaching is involved."""
    forbid = setting(inp, "vetting.forbid_serving_teachers") is not False
    out = []
    for person in inp.staff:
        if not person.is_serving_teacher:
            continue
        evidence = {"staff_id": person.id, "field": "is_serving_teacher", "value": True}
        if forbid:
            out.append(make(NAME, SOURCE, Verdict.block,
                            f"{staff_name(person)}为在职中小学教师，本区县不允许在职教师作为第三方机构授课人员", **evidence))
        else:
            out.append(make(NAME, SOURCE, Verdict.warn,
                            f"{staff_name(person)}为在职中小学教师：本区县允许，但须核实所在学校同意且不从事有偿学科类培训",
                            **evidence))
    if out:
        return out
    return [make(NAME, SOURCE, Verdict.passed, "授课人员中没有在职中小学教师", field="is_serving_teacher")]


RULE = Rule(name=NAME, label="在职教师", source=SOURCE, check=check)
