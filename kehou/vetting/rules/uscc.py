"""USCC (统一社会信用代码): format, check character, and agreement with the org type."""

from __future__ import annotations

from kehou.errors import ValidationFailed
from kehou.platform.providers.identifiers import validate_uscc
from kehou.platform.providers.models import ORG_TYPE_LABELS
from kehou.vetting.rules.common import make
from kehou.vetting.types import Finding, Rule, Verdict, VettingInput

NAME = "uscc"
SOURCE = "GB 32100-2015 统一社会信用代码编码规则；POLICY.md 准入：入口审核（004）"

#: Positions 1-2 (registration authority + category) expected for each org type:
#: 91 企业、93 农民专业合作社 (工商), 52 民办非企业单位 (民政), 12 事业单位 (机构编制), 92 个体工商户.
EXPECTED_PREFIXES = {
    "enterprise": ("91", "93"),
    "private_non_enterprise": ("52",),
    "public_institution": ("12",),
    "individual": ("92",),
}


def check(inp: VettingInput) -> list[Finding]:
    p = inp.provider
    try:
        code = validate_uscc(p.uscc)
    except ValidationFailed as exc:
        return [make(NAME, SOURCE, Verdict.block, f"{p.name}的统一社会信用代码无效：{exc.message}",
                     field="uscc", value=p.uscc, code=exc.code)]
    expected = EXPECTED_PREFIXES.get(p.org_type)
    if expected and code[:2] not in expected:
        label = ORG_TYPE_LABELS.get(p.org_type, p.org_type)
        return [make(NAME, SOURCE, Verdict.warn,
                     f"{p.name}的统一社会信用代码前两位为“{code[:2]}”，与申报的机构类型「{label}」"
                     f"（通常为{'或'.join(expected)}）不一致，请核对登记证书",
                     field="uscc", value=code, org_type=p.org_type)]
    return [make(NAME, SOURCE, Verdict.passed, f"{p.name}的统一社会信用代码格式与校验位正确", field="uscc", value=code)]


RULE = Rule(name=NAME, label="统一社会信用代码", source=SOURCE, check=check)
