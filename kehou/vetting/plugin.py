"""The vetting engine's own hook implementations: its settings and built-in rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kehou.platform.documents.models import DOCUMENT_TYPES
from kehou.platform.providers import org_types
from kehou.platform.providers.models import ORG_TYPE_LABELS
from kehou.pluginapi import SettingColumn, SettingSpec, at_least, dict_items, hookimpl
from kehou.vetting.rules import BUILTIN_RULES
from kehou.vetting.rules.defaults import DEFAULTS
from kehou.vetting.types import Rule


def _spec(key: str, type_: type, label: str, help: str = "", check: Callable[[Any], str | None] | None = None,
          **form: Any) -> SettingSpec:
    """``form``: how the settings page asks for it (``unit``, ``choices``, ``columns`` of :class:`SettingSpec`)."""
    return SettingSpec(key, type_, DEFAULTS[key], label, help, check=check, **form)


FILE_KINDS = {"pdf": "PDF", "jpeg": "JPEG 图片", "png": "PNG 图片"}


def _known_kinds(value: list[Any]) -> str | None:
    bad = [v for v in value if v not in ("pdf", "jpeg", "jpg", "png")]
    return f"不支持的格式：{'、'.join(map(str, bad))}（可选 pdf、jpeg、png）。" if bad or not value else None


VETTING_SETTINGS = [
    _spec("documents.allowed_types", list, "允许上传的文件格式", check=_known_kinds, choices=FILE_KINDS),
    _spec("documents.max_size_bytes", int, "单个文件大小上限（字节）", check=lambda v: None if 1 <= v <= 60 * 1024 * 1024
          else "须在1字节到60MB之间。", unit="bytes"),
    _spec("documents.required_types", dict, "各类机构必备材料", "本区县增设的材料类型请在“高级：JSON”中填写其代码",
          columns=tuple(SettingColumn(org, label, list, choices=DOCUMENT_TYPES) for org, label in ORG_TYPE_LABELS.items()),
          choices_of=org_types.in_county),
    _spec("documents.staff_required_types", list, "每名授课人员必备材料", choices=DOCUMENT_TYPES),
    _spec("documents.extra_types", list, "本区县增设的材料类型", check=dict_items("key", "label"),
          columns=(SettingColumn("key", "代码（英文）", unique=True), SettingColumn("label", "名称", unique=True))),
    _spec("documents.expiry_warning_days", int, "材料到期提醒天数", "材料在此天数内到期时提醒更新", check=at_least(0),
          unit="days"),
    _spec("vetting.criminal_record_max_months", int, "无犯罪记录证明有效月数", "须在此月数内开具", check=at_least(1),
          unit="months"),
    _spec("vetting.forbid_serving_teachers", bool, "禁止在职中小学教师作为机构授课人员"),
    _spec("vetting.academic_words", list, "学科类用语（命中即阻止）", "课程名称、简介中出现即判定为学科类培训"),
    _spec("vetting.academic_warn_words", list, "疑似学科类用语（命中提醒）", "由审核人员判断"),
    _spec("vetting.academic_allow", list, "学科类用语例外短语", "含学科用语但属非学科类的短语，如“微生物”“中考体育”"),
    _spec("vetting.academic_subject_words", list, "学科名称（与非学科主题同现时改为提醒）",
          "如“英语戏剧”：含学科名称且含下一项的非学科主题词时，由审核人员判断；学科类用语中的其他词（提分、同步辅导等）仍直接阻止"),
    _spec("vetting.academic_theme_words", list, "非学科主题词", "如戏剧、绘本、桌游、科普实验；与学科名称同现时改为提醒"),
    _spec("vetting.promotion_words", list, "商业推广用语（命中即阻止）"),
    _spec("vetting.promotion_warn_words", list, "疑似商业推广用语（命中提醒）"),
    _spec("vetting.category_scope_keywords", dict, "课程类别对应的经营范围关键词", "证照经营范围须含其一",
          columns=(SettingColumn("*", "课程类别"), SettingColumn("words", "经营范围关键词", list))),
    _spec("vetting.allowed_org_types", list, "可参与课后服务的机构类型", "另见“不得参与课后服务的机构类型”",
          choices=ORG_TYPE_LABELS, choices_of=org_types.in_county),
    _spec("vetting.review_org_types", list, "须重点核查的机构类型（提醒）", "如企业：核实不属于学科类校外培训机构",
          choices=ORG_TYPE_LABELS, choices_of=org_types.in_county),
]


@hookimpl
def kehou_register_settings() -> list[SettingSpec]:
    return VETTING_SETTINGS


@hookimpl
def kehou_register_vetting_rules() -> list[Rule]:
    return list(BUILTIN_RULES)
