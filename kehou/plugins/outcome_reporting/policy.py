"""Outcome reporting's county settings (versioned by effective date like every county setting)."""

from __future__ import annotations

from typing import Any

from kehou.pluginapi import SettingColumn, SettingSpec, at_least, between

PLUGIN = "outcome_reporting"

#: indicator code -> label. What each measures is in ``evaluation.py`` and docs/outcome_reporting.md.
INDICATORS = {
    "content_quality": "课程内容质量（巡课：内容对题、非学科类）",
    "teaching_quality": "教学质量（巡课评分）",
    "conduct": "规范与安全（投诉、安全事件）",
    "delivery": "课时履约（实上/应上课次）",
    "parent_satisfaction": "家长满意度",
    "school_satisfaction": "学校评价",
}

DEFAULT_INDICATORS = [
    {"code": "content_quality", "weight": 15},
    {"code": "teaching_quality", "weight": 20},
    {"code": "conduct", "weight": 15},
    {"code": "delivery", "weight": 15},
    {"code": "parent_satisfaction", "weight": 25, "min": 80},
    {"code": "school_satisfaction", "weight": 10},
]


def _indicators(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "须至少设置一个评价指标。"
    seen: set[str] = set()
    for i, ind in enumerate(value, start=1):
        code = ind.get("code") if isinstance(ind, dict) else None
        if code not in INDICATORS:
            return f"第{i}个指标的 code 须为 {'、'.join(INDICATORS)} 之一。"
        if code in seen:
            return f"指标 {code} 重复。"
        seen.add(code)
        weight = ind.get("weight")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            return f"指标 {code} 的权重 weight 须为非负整数。"
        low = ind.get("min")
        if low is not None and (not isinstance(low, int) or isinstance(low, bool) or not 0 <= low <= 100):
            return f"指标 {code} 的最低分 min 须为0到100的整数。"
    if sum(ind["weight"] for ind in value) != 100:
        return "各指标权重之和须为100。"
    return None


def _penalties(*keys: str) -> Any:
    def check(value: Any) -> str | None:
        for key, points in value.items():
            if key not in keys:
                return f"键 {key} 无效，须为 {'、'.join(keys)} 之一。"
            if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= 100:
                return f"{key} 的扣分须为0到100的整数。"
        return None

    return check


SETTINGS = [
    SettingSpec("outcome.indicators", list, DEFAULT_INDICATORS, "机构评价指标（权重、可选单项最低分）",
                "权重之和为100；单项低于最低分即不合格，如家长满意度低于80%", check=_indicators,
                columns=(SettingColumn("code", "指标", choices=INDICATORS, unique=True), SettingColumn("weight", "权重", int),
                         SettingColumn("min", "单项最低分", int, unit="points", optional=True))),
    SettingSpec("outcome.pass_score", int, 60, "机构评价合格分（总分，0到100）", "低于合格分或任一单项低于最低分的机构提请退出",
                check=between(0, 100), unit="points"),
    SettingSpec("outcome.min_responses", int, 10, "计入满意度的最少问卷数", "问卷少于此数时该项不计分、按其余指标折算",
                check=at_least(1), unit="responses"),
    SettingSpec("outcome.complaint_assign_days", int, 1, "投诉受理后指派期限", check=between(1, 30), unit="working_days"),
    SettingSpec("outcome.complaint_resolve_days", int, 15, "投诉办结期限", "自收到投诉起计算", check=between(1, 90),
                unit="working_days"),
    SettingSpec("outcome.survey_days", int, 14, "满意度问卷开放天数", check=between(1, 60), unit="days"),
    SettingSpec("outcome.student_survey_min_grade", int, 4, "学生本人填写问卷的最低年级", "低于此年级只请家长填写",
                check=between(1, 10), unit="grade"),
    SettingSpec("outcome.incident_penalty", dict, {"minor": 10, "serious": 40, "major": 100},
                "安全事件扣分（规范与安全指标，每起）", "按严重程度：一般、较大、重大",
                check=_penalties("minor", "serious", "major"),
                columns=(SettingColumn("minor", "一般", int, unit="points"), SettingColumn("serious", "较大", int, unit="points"),
                         SettingColumn("major", "重大", int, unit="points"))),
    SettingSpec("outcome.complaint_penalty", dict, {"substantiated": 20, "partly": 10},
                "投诉扣分（规范与安全指标，每件）", "仅计查实与部分查实的投诉",
                check=_penalties("substantiated", "partly"),
                columns=(SettingColumn("substantiated", "查实", int, unit="points"),
                         SettingColumn("partly", "部分查实", int, unit="points"))),
]
