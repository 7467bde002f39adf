"""The words of the audit log: Chinese names of actions, objects and fields, and how an object is named.

The core declares its own; each plugin declares its own through ``kehou_register_audit_vocabulary``
(:class:`kehou.pluginapi.AuditVocabulary`). ``Vocabulary.of(ctx)`` merges them once per process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kehou.platform.pii import SEALED_PREFIX
from kehou.pluginapi import AuditVocabulary

CORE = AuditVocabulary(
    actions={
        "admission.create": "创建准入申请", "admission.edit": "修改准入申请", "admission.submit": "提交准入申请",
        "admission.resubmit": "补正后重新提交", "admission.withdraw": "撤回准入申请", "admission.return_for_info": "退回补正",
        "admission.accept_materials": "受理材料", "admission.finish_review": "完成评审", "admission.score": "评审打分",
        "admission.signoff": "联合审查意见", "admission.complete_signoff": "联合审查完成", "admission.notice_end": "公示期满",
        "admission.close_notice": "结束公示", "admission.approve": "批准准入", "admission.reject": "不予准入",
        "admission.valid_until": "准入有效期", "admission.objection_filed": "收到公示异议",
        "admission.objection_answered": "答复公示异议", "admission.objection_dismissed": "标记异议无效",
        "agreement.create": "生成协议", "agreement.rerender": "重新生成协议文本", "agreement.sign": "签署协议",
        "agreement.terminate": "终止协议", "agreement_template.save": "保存协议范本",
        "blacklist.add": "列入黑名单", "blacklist.import": "导入黑名单", "blacklist.remove": "移出黑名单",
        "calendar.year_put": "更新全国节假日安排", "calendar.local_put": "更新本地校历调整",
        "document.upload": "上传材料", "document.review": "审核材料",
        "exit.propose": "提议退出", "exit.give_notice": "机构申请主动退出", "exit.warn": "警告整改", "exit.respond": "机构答复",
        "exit.suspend": "暂停服务", "exit.close": "结案（不退出）", "exit.decide": "作出清退决定", "exit.appeal": "提出申诉",
        "exit.grant_appeal": "申诉成立", "exit.reject_appeal": "驳回申诉", "exit.finalise": "执行退出",
        "exit.proposal_not_opened": "退出提议未立案",
        "guardian.link": "关联监护人", "provider.register": "机构注册", "provider.update": "修改机构信息",
        "region.add": "添加区县", "school.add": "添加学校", "setting.change": "修改政策设置", "staff.add": "登记人员",
        "student.add": "添加学生", "student.priority": "设置优先保障群体", "token.issue": "签发接口令牌",
        "token.revoke": "吊销接口令牌", "user.create": "创建账户", "user.login": "登录",
        "vetting.request": "发起自动核验", "vetting.override": "人工改判核验结果",
        "whitelist.admit": "列入白名单", "whitelist.expire": "白名单到期", "whitelist.reinstate": "恢复白名单",
        "whitelist.suspend": "暂停白名单", "whitelist.exited": "移出白名单",
        "roster.import": "导入学生名册", "student.update": "修改学生信息", "activation.issue": "发放激活码",
        "activation.slips": "打印家长激活单", "user.activate": "激活账户",
    },
    entities={
        "application": "准入申请", "provider": "服务机构", "school": "学校", "student": "学生", "user": "账户",
        "staff": "人员", "document": "材料", "agreement": "协议", "agreement_template": "协议范本", "exit_case": "退出案件",
        "whitelist": "白名单", "blacklist": "黑名单", "blacklist_entry": "黑名单条目", "setting": "政策设置",
        "region": "区县", "api_token": "接口令牌", "objection": "公示异议", "calendar_year": "节假日安排",
        "calendar_local": "本地校历", "school_term": "学期",
    },
    fields={
        "status": "状态", "reason": "理由", "note": "备注", "name": "名称", "title": "标题", "score": "得分",
        "value": "值", "effective_from": "生效日期", "valid_until": "有效期至", "categories": "服务类别",
        "statement": "申请说明", "username": "用户名", "role": "角色", "school_id": "学校", "provider_id": "机构",
        "student_id": "学生", "bill_id": "账单", "amount_fen": "金额（分）", "fee_fen": "收费（分）",
        "grade": "年级", "class_name": "班级", "priority_group": "优先保障群体", "doc_type": "材料类型",
        "decision": "结论", "opinion": "意见", "count": "数量", "key": "设置项", "kind": "类型", "courses": "拟开设课程",
        "file": "文件", "lines": "行数", "students_created": "新增学生", "students_updated": "更新学生",
        "students_unchanged": "未变学生", "guardians_created": "新建家长账户", "links_created": "新增监护关系",
        "relation": "关系", "expires_at": "失效时间", "revoked": "作废", "reissue": "重新发放", "activated": "已激活",
        "activation": "激活", "user_id": "账户", "spam": "无效异议", "ip": "来源地址", "upheld": "异议成立",
        "answered": "已答复",
    },
)


def _core_values() -> dict[str, Mapping[str, str]]:
    from kehou.platform.accounts.models import ROLE_LABELS
    from kehou.platform.admission.models import STATUS_LABELS as APPLICATION
    from kehou.platform.agreements.models import STATUS_LABELS as AGREEMENT
    from kehou.platform.exits.workflow import STATUS_LABELS as EXIT

    return {"application.status": APPLICATION, "application.kind": {"initial": "首次申请", "renewal": "留库审查"},
            "agreement.status": AGREEMENT, "exit_case.status": EXIT, "user.role": ROLE_LABELS}


def _names_app(session: Session, ids: list[int]) -> dict[int, str]:
    from kehou.platform.admission.models import Application
    from kehou.platform.providers.models import Provider

    rows = session.execute(select(Application.id, Provider.name).join(Provider, Provider.id == Application.provider_id)
                           .where(Application.id.in_(ids)))
    return {i: f"{n}的申请" for i, n in rows}


def _by_column(column_of: Callable[[], Any]) -> Callable[[Session, list[int]], dict[int, str]]:
    """A namer reading one column of the object's own table (``column_of`` imports lazily: models load late)."""
    def namer(session: Session, ids: list[int]) -> dict[int, str]:
        column = column_of()
        model = column.class_
        return {i: str(n) for i, n in session.execute(select(model.id, column).where(model.id.in_(ids)))}
    return namer


def _provider_name() -> Any:
    from kehou.platform.providers.models import Provider
    return Provider.name


def _school_name() -> Any:
    from kehou.platform.counties.models import School
    return School.name


def _student_name() -> Any:
    from kehou.platform.students.models import Student
    return Student.name


def _user_name() -> Any:
    from kehou.platform.accounts.models import User
    return User.display_name


def _staff_name() -> Any:
    from kehou.platform.providers.models import Staff
    return Staff.name


CORE_NAMERS: dict[str, Callable[[Session, list[int]], dict[int, str]]] = {
    "application": _names_app, "provider": _by_column(_provider_name), "school": _by_column(_school_name),
    "student": _by_column(_student_name), "user": _by_column(_user_name), "staff": _by_column(_staff_name),
}


@dataclass
class Vocabulary:
    actions: dict[str, str] = field(default_factory=dict)
    entities: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    namers: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Mapping[str, str]] = field(default_factory=dict)

    def add(self, v: AuditVocabulary) -> None:
        self.actions.update(v.actions)
        self.entities.update(v.entities)
        self.fields.update(v.fields)
        self.namers.update(v.names)
        self.values.update(v.values)

    def action(self, code: str) -> str:
        return self.actions.get(code, code)

    def entity(self, kind: str) -> str:
        return self.entities.get(kind, kind)

    def field(self, name: str) -> str:
        return self.fields.get(name, name)

    def names(self, session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The display name of each (entity_type, entity_id) a namer knows, in one query per type."""
        wanted: dict[str, set[int]] = {}
        for kind, ident in pairs:
            if kind in self.namers and str(ident).isdecimal():
                wanted.setdefault(kind, set()).add(int(ident))
        out: dict[tuple[str, str], str] = {}
        for kind, ids in wanted.items():
            for i, name in self.namers[kind](session, sorted(ids)).items():
                out[(kind, str(i))] = name
        return out


    def changes(self, entity_type: str, old: Mapping[str, Any] | None,
                new: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
        """The diff in words: field names and coded values in Chinese."""
        def word(name: str, value: str) -> str:
            return self.values.get(f"{entity_type}.{name}", {}).get(value, value)
        return [(self.field(f), word(f, o), word(f, n)) for f, o, n in diff(old, new)]


def merged(answers: Iterable[Iterable[AuditVocabulary]]) -> Vocabulary:
    v = Vocabulary(namers=dict(CORE_NAMERS), values=_core_values())
    v.add(CORE)
    for answer in answers:
        for item in answer:
            v.add(item)
    return v


@cache
def _cached(pm: Any) -> Vocabulary:
    return merged(pm.hook.kehou_register_audit_vocabulary())


def of(ctx: Any) -> Vocabulary:
    return _cached(ctx.pm)


def shown(value: Any) -> str:
    """One value of a diff, for people: text as is (a sealed one as 已加密), 是/否, lists joined, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return "（已加密）" if value.startswith(SEALED_PREFIX) else value
    if isinstance(value, list) and all(isinstance(x, str | int) for x in value):
        return "、".join(str(x) for x in value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """Field-by-field: (field, old, new) for every field in either, in the order they appear."""
    old, new = old or {}, new or {}
    keys = list(dict.fromkeys([*old.keys(), *new.keys()]))
    return [(k, shown(old.get(k)) if k in old else "", shown(new.get(k)) if k in new else "") for k in keys
            if old.get(k) != new.get(k) or k not in old]
