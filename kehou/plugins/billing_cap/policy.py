"""The county fee policy: billing settings (versioned by effective date like every county setting)
and the frozen :class:`FeePolicy` a bill keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from kehou.pluginapi import SettingColumn, SettingSpec, at_least, between
from kehou.plugins.billing_cap import refund_rules

PLUGIN = "billing_cap"


def _tiers(value: Any) -> str | None:
    for i, t in enumerate(value, start=1):
        if not isinstance(t, dict) or not t.get("code") or not t.get("label") or not t.get("evidence"):
            return f"第{i}档须包含 code、label、evidence。"
        if not isinstance(t.get("percent"), int) or isinstance(t.get("percent"), bool) or not 1 <= t["percent"] <= 100:
            return f"第{i}档的减免比例 percent 须为1到100的整数。"
    return None


def _ranges(value: Any) -> str | None:
    for category, pair in value.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, int) and v >= 0 for v in pair)
                and pair[0] <= pair[1]):
            return f"类别「{category}」的价格区间须为 [最低, 最高]（分，整数）。"
    return None


def _refund_examples(value: Any) -> tuple[str, list[tuple[str, str]]]:
    from kehou.plugins.billing_cap.refund_examples import examples  # it computes with rules, which imports this

    return examples(value)


DEFAULT_TIERS = [
    {"code": "free", "label": "全免", "percent": 100, "evidence": "低保、特困供养或建档立卡证明"},
    {"code": "half", "label": "减半", "percent": 50, "evidence": "低保边缘家庭或临时困难证明"},
]
DEFAULT_REFUNDS = [
    {"kind": "absence", "count": "days", "min": 7, "refund": "after"},
    {"kind": "quit", "from": "term_start", "of": "untaught",
     "schedule": [{"within": 14, "unit": "days", "percent": 100}, {"within": 60, "unit": "days", "percent": 50}]},
    {"kind": "undelivered"},
]

SETTINGS = [
    SettingSpec("billing.term_cap_fen", int, 60000, "每生每学期个性化课程收费上限（不含材料费）",
                "002 篇2：每生每学期不超过600元；0 表示不设上限", check=at_least(0), unit="fen",
                plausible=(1_000, 1_000_000)),
    SettingSpec("billing.lesson_cap_fen", int, 0, "每课时收费上限（每人）", "003 方案7：每人每课时3元；0 表示不设",
                check=at_least(0), unit="fen", plausible=(100, 10_000)),
    SettingSpec("billing.category_price_ranges", dict, {}, "各类别课程价格区间（每学期）",
                "每个类别一行：最低价与最高价；未列出的类别不限", check=_ranges,
                columns=(SettingColumn("*", "课程类别"), SettingColumn("low", "最低", int, unit="fen"),
                         SettingColumn("high", "最高", int, unit="fen"))),
    SettingSpec("billing.collector", str, "school", "收费主体", "2024年起第三方机构不得直接向家长收费；默认学校专户",
                choices={"school": "学校课后服务专户", "county": "教育局课后服务专户"}),
    SettingSpec("billing.waiver_tiers", list, DEFAULT_TIERS, "减免档次",
                "经济困难家庭减免或免费（002 篇1、003 方案1）", check=_tiers,
                columns=(SettingColumn("code", "代码（英文）", unique=True), SettingColumn("label", "名称", unique=True),
                         SettingColumn("percent", "减免比例", int, unit="percent"), SettingColumn("evidence", "所需证明"))),
    SettingSpec("billing.refund_rules", list, DEFAULT_REFUNDS, "退费规则（可组合）", refund_rules.HELP,
                check=refund_rules.check, columns=refund_rules.COLUMNS, examples=_refund_examples),
    SettingSpec("billing.materials_via", str, "provider", "材料费", "是否经机构统一购买并列入账单",
                choices={"provider": "经机构统一购买并列入账单", "parents": "家长自购，不列入账单"}),
    SettingSpec("billing.due_days", int, 14, "账单缴费期限", check=between(1, 90), unit="days"),
    SettingSpec("billing.allow_supplement", bool, False, "允许学期中补充收费", "默认不允许：学期中的变动在期末一次性多退少补"),
    SettingSpec("billing.settlement_period", str, "month", "机构结算周期", choices={"month": "按月", "term": "按学期"}),
    SettingSpec("billing.settlement_county_approval", bool, True, "机构结算单须经教育局审批"),
    SettingSpec("billing.fee_basis", str, "", "收费依据（文件名称与文号）"),
    SettingSpec("billing.complaint_hotline", str, "", "收费投诉电话"),
]


def lesson_cap_limit(fee_fen: int, per_lesson_fen: int, lessons: int) -> int | None:
    """The most a course of ``lessons`` lessons may cost under a per-lesson cap, when ``fee_fen`` exceeds it; None when
    it does not or when there is no cap or no lesson. Compared in fen over all the lessons, never on a rounded price:
    the one comparison behind the enrolment refusal, the course check and the fee publicity."""
    if not per_lesson_fen or not lessons or fee_fen <= per_lesson_fen * lessons:
        return None
    return per_lesson_fen * lessons


@dataclass(frozen=True)
class FeePolicy:
    """The fee policy a bill was made under (kept on the bill as JSON)."""

    term_cap_fen: int
    lesson_cap_fen: int
    collector: str
    waiver_tiers: tuple[dict[str, Any], ...]
    refund_rules: tuple[dict[str, Any], ...]
    materials_via: str
    due_days: int
    allow_supplement: bool

    @classmethod
    def from_settings(cls, s: Mapping[str, Any]) -> FeePolicy:
        return cls(term_cap_fen=s["billing.term_cap_fen"], lesson_cap_fen=s["billing.lesson_cap_fen"],
                   collector=s["billing.collector"], waiver_tiers=tuple(s["billing.waiver_tiers"]),
                   refund_rules=tuple(s["billing.refund_rules"]), materials_via=s["billing.materials_via"],
                   due_days=s["billing.due_days"], allow_supplement=s["billing.allow_supplement"])

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeePolicy:
        return cls(**{**data, "waiver_tiers": tuple(data["waiver_tiers"]), "refund_rules": tuple(data["refund_rules"])})

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"waiver_tiers": list(self.waiver_tiers), "refund_rules": list(self.refund_rules)}

    def rule(self, kind: str) -> dict[str, Any] | None:
        return next((r for r in self.refund_rules if r.get("kind") == kind), None)

    def tier(self, code: str) -> dict[str, Any] | None:
        return next((t for t in self.waiver_tiers if t["code"] == code), None)


def collector_key(policy: FeePolicy, county_code: str, school_id: int) -> str:
    return f"county:{county_code}" if policy.collector == "county" else f"school:{school_id}"


def yuan(fen: int) -> str:
    """Fen as yuan for people: 60000 → '600.00'."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
