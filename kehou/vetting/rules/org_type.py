"""The organisation type is admitted in the county."""

from __future__ import annotations

from kehou.platform.providers import org_types
from kehou.vetting.rules.common import make, words
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "org_type"
SOURCE = ("POLICY.md 准入：部分地区严禁校外培训机构参与课后服务（002篇1、003方案7），另一些地区准入其开展个性化课程"
          "（002篇2、004）——区县设置")


def check(inp: VettingInput) -> list[Finding]:
    """block: the type is unknown, not in ``vetting.allowed_org_types`` or in
    ``admission.barred_org_types`` (the core setting, also checked when an application
    is created); warn: the type is in ``vetting.review_org_types`` (admitted, but to be
    checked closely — by default enterprises, which may be off-campus training companies)."""
    org_type = inp.provider.org_type
    label = org_types.in_county(inp.settings).get(org_type)
    evidence = {"field": "org_type", "value": org_type}
    if label is None:
        return [make(NAME, SOURCE, Verdict.block, f"机构类型“{org_type}”不是平台或本区县认可的类型", **evidence)]
    if org_type in words(inp, "admission.barred_org_types") or org_type not in words(inp, "vetting.allowed_org_types"):
        return [make(NAME, SOURCE, Verdict.block, f"本区县不接受「{label}」类机构参与课后服务", **evidence)]
    if org_type in words(inp, "vetting.review_org_types"):
        return [make(NAME, SOURCE, Verdict.warn,
                     f"「{label}」类机构须重点核查：确认其不属于学科类校外培训机构，且按公益普惠原则收费", **evidence)]
    return [make(NAME, SOURCE, Verdict.passed, f"本区县接受「{label}」类机构参与课后服务", **evidence)]


RULE = Rule(name=NAME, label="机构类型准入", source=SOURCE, check=check)
