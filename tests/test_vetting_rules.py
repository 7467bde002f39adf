"""Vetting rules on hand-built snapshots (no database): each rule passing, warning and blocking."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from kehou.platform.policy import services as policy
from kehou.platform.providers.identifiers import uscc_check_char
from kehou.plugin_manager import build_plugin_manager
from kehou.vetting import plugin
from kehou.vetting.engine import collect_rules, outcome, run_rules, summarise
from kehou.vetting.rules import (
    BUILTIN_RULES,
    academic_content,
    blacklist,
    criminal_record,
    documents,
    licence_scope,
    org_type,
    promotion,
    qualification,
    serving_teacher,
    staff_documents,
    uscc,
)
from kehou.vetting.rules.common import add_months
from kehou.vetting.rules.defaults import DEFAULTS
from kehou.vetting.types import (
    CourseSnapshot,
    DocumentSnapshot,
    Finding,
    ProviderSnapshot,
    Rule,
    StaffSnapshot,
    Verdict,
    VettingInput,
)

TODAY = dt.date(2026, 3, 1)
PERIOD_END = dt.date(2027, 2, 28)
PASS, WARN, BLOCK = Verdict.passed, Verdict.warn, Verdict.block


# --- factories ----------------------------------------------------------------------------


def make_uscc(body: str = "52330106MJ0000001") -> str:
    return body + uscc_check_char(body)


def provider(**kw: Any) -> ProviderSnapshot:
    base = {"id": 1, "name": "西湖青少年艺术中心", "uscc": make_uscc(), "uscc_hash": "h-org",
            "org_type": "private_non_enterprise", "legal_rep_name": "张三", "legal_rep_id_hash": "h-rep",
            "legal_rep_id_last4": "0015"}
    return ProviderSnapshot(**(base | kw))


def staff(id: int, **kw: Any) -> StaffSnapshot:
    base = {"id": id, "name": f"老师{id}", "id_hash": f"h-staff-{id}", "id_last4": f"{id:04d}",
            "qualification_type": "professional_certificate", "qualification_number": f"ZY-{id:04d}",
            "criminal_record_issued_on": dt.date(2026, 1, 15), "is_serving_teacher": False}
    return StaffSnapshot(**(base | kw))


_doc_ids = iter(range(1000, 10**6))


def doc(doc_type: str, **kw: Any) -> DocumentSnapshot:
    base = {"id": next(_doc_ids), "doc_type": doc_type, "staff_id": None, "number": "", "issuer": "",
            "valid_from": dt.date(2025, 1, 1), "valid_to": None, "scope_text": "", "status": "accepted",
            "original_name": f"{doc_type}.pdf"}
    return DocumentSnapshot(**(base | kw))


def staff_docs(person: StaffSnapshot, **kw: Any) -> list[DocumentSnapshot]:
    return [doc("qualification_certificate", staff_id=person.id, number=person.qualification_number, **kw),
            doc("criminal_record_certificate", staff_id=person.id, valid_from=person.criminal_record_issued_on)]


SCOPE = "青少年体育、艺术培训；科普活动；阅读推广；传统文化传承"


def org_docs() -> list[DocumentSnapshot]:
    return [doc("non_enterprise_registration", id=1, valid_to=dt.date(2029, 12, 31), scope_text=SCOPE),
            doc("insurance", id=2, valid_to=dt.date(2027, 6, 30)),
            doc("safety_commitment", id=3)]


def course(title: str, description: str = "", category: str = "体育艺术") -> CourseSnapshot:
    return CourseSnapshot(title=title, description=description, category=category)


def make_input(**kw: Any) -> VettingInput:
    people = kw.pop("staff", None)
    if people is None:
        people = (staff(1), staff(2))
    docs = kw.pop("documents", None)
    if docs is None:
        docs = org_docs() + [d for p in people for d in staff_docs(p)]
    base = {"county_code": "330106", "today": TODAY, "period_end": PERIOD_END, "provider": provider(), "staff": tuple(people),
            "documents": tuple(docs), "categories": ("体育艺术", "科普"),
            "courses": (course("少儿国画启蒙", "学习国画基本笔墨技法"), course("篮球基础", "运球、传球与团队配合")),
            "statement": "本机构为民办非企业单位，长期开展青少年体育艺术与科普公益活动。", "settings": {},
            "blacklist": frozenset()}
    return VettingInput(**(base | kw))


def with_settings(inp: VettingInput, **settings: Any) -> VettingInput:
    """Settings by key, written with "__" for "." (documents__expiry_warning_days)."""
    return dataclasses.replace(inp, settings=dict(inp.settings) | {k.replace("__", "."): v for k, v in settings.items()})


def check(rule: Rule, inp: VettingInput) -> list[Finding]:
    found = rule.check(inp)
    assert found, f"{rule.name} returned nothing"
    for f in found:
        assert f.rule == rule.name and f.message and f.source == rule.source
        assert isinstance(f.verdict, Verdict)
    return found


def verdict(rule: Rule, inp: VettingInput) -> Verdict:
    return outcome(check(rule, inp))


def only(rule: Rule, inp: VettingInput) -> Finding:
    found = check(rule, inp)
    assert len(found) == 1, found
    return found[0]


# --- the whole set -------------------------------------------------------------------------


def test_a_good_application_passes_every_rule_with_one_finding_each() -> None:
    findings = run_rules(make_input(), list(BUILTIN_RULES))
    assert [f.rule for f in findings] == [r.name for r in BUILTIN_RULES]
    assert summarise(findings) == {"pass": len(BUILTIN_RULES), "warn": 0, "block": 0}
    assert all(f.source.strip() for f in findings)


def test_rule_names_are_unique_and_every_rule_cites_policy() -> None:
    names = [r.name for r in BUILTIN_RULES]
    assert len(names) == len(set(names)) == 11
    for rule in BUILTIN_RULES:
        assert rule.label and ("POLICY.md" in rule.source or "区县设置" in rule.source or "GB" in rule.source)


# --- uscc ------------------------------------------------------------------------------------


def test_uscc_pass() -> None:
    f = only(uscc.RULE, make_input())
    assert f.verdict is PASS and f.evidence["value"] == make_uscc()


def test_uscc_warns_when_the_prefix_does_not_match_the_org_type() -> None:
    inp = make_input(provider=provider(uscc=make_uscc("91330106MA0000001")))  # an enterprise code, declared 民非
    f = only(uscc.RULE, inp)
    assert f.verdict is WARN and "91" in f.message and "民办非企业单位" in f.message


@pytest.mark.parametrize("code, reason", [
    (make_uscc()[:17] + ("0" if make_uscc()[17] != "0" else "1"), "uscc_check_char"),
    ("52330106MJ00001", "uscc_length"),
    ("5233O106MJ0000001X", "uscc_forbidden_char"),
])
def test_uscc_blocks_an_invalid_code(code: str, reason: str) -> None:
    f = only(uscc.RULE, make_input(provider=provider(uscc=code)))
    assert f.verdict is BLOCK and f.evidence["code"] == reason and "统一社会信用代码" in f.message


# --- org type ------------------------------------------------------------------------------


def test_org_type_pass() -> None:
    assert only(org_type.RULE, make_input()).verdict is PASS


def test_org_type_warns_for_an_enterprise_by_default_and_not_when_the_county_trusts_them() -> None:
    inp = make_input(provider=provider(org_type="enterprise"))
    f = only(org_type.RULE, inp)
    assert f.verdict is WARN and "企业" in f.message
    assert verdict(org_type.RULE, with_settings(inp, vetting__review_org_types=[])) is PASS


@pytest.mark.parametrize("settings", [
    {"admission.barred_org_types": ["enterprise"]},
    {"vetting.allowed_org_types": ["private_non_enterprise", "public_institution"]},
])
def test_org_type_blocks_a_barred_type(settings: dict[str, Any]) -> None:
    inp = make_input(provider=provider(org_type="enterprise"), settings=settings)
    f = only(org_type.RULE, inp)
    assert f.verdict is BLOCK and f.message == "本区县不接受「企业」类机构参与课后服务"
    assert f.evidence == {"field": "org_type", "value": "enterprise"}


def test_org_type_blocks_an_unknown_type() -> None:
    assert verdict(org_type.RULE, make_input(provider=provider(org_type="company"))) is BLOCK


# --- required documents ----------------------------------------------------------------------


def replace_doc(docs: list[DocumentSnapshot], doc_id: int, **kw: Any) -> list[DocumentSnapshot]:
    return [dataclasses.replace(d, **kw) if d.id == doc_id else d for d in docs]


def base_docs() -> list[DocumentSnapshot]:
    return list(make_input().documents)


def test_required_documents_pass() -> None:
    f = only(documents.RULE, make_input())
    assert f.verdict is PASS and "责任保险单" in f.message


def test_required_documents_block_when_one_is_missing() -> None:
    inp = make_input(documents=[d for d in base_docs() if d.doc_type != "insurance"])
    f = only(documents.RULE, inp)
    assert f.verdict is BLOCK and f.message == "缺少必备材料：责任保险单"
    assert f.evidence == {"doc_type": "insurance", "field": "doc_type"}


def test_a_rejected_document_does_not_count_but_a_pending_one_does() -> None:
    assert verdict(documents.RULE, make_input(documents=replace_doc(base_docs(), 2, status="rejected"))) is BLOCK
    assert verdict(documents.RULE, make_input(documents=replace_doc(base_docs(), 2, status="pending"))) is PASS


@pytest.mark.parametrize("change, field, words", [
    ({"valid_to": dt.date(2026, 2, 1)}, "valid_to", "已于2026-02-01过期"),
    ({"valid_to": dt.date(2026, 12, 31)}, "valid_to", "早于准入期结束日2027-02-28"),
    ({"valid_from": dt.date(2026, 4, 1)}, "valid_from", "尚未生效"),
])
def test_required_documents_block_when_not_valid_for_the_whole_period(change: dict, field: str, words: str) -> None:
    f = only(documents.RULE, make_input(documents=replace_doc(base_docs(), 2, **change)))
    assert f.verdict is BLOCK and words in f.message and "责任保险单" in f.message
    assert f.evidence["document_id"] == 2 and f.evidence["field"] == field


def test_required_documents_warn_when_expiring_within_the_warning_days() -> None:
    # a nightly run close to the end of the admission period: valid for the period, but due soon
    inp = make_input(period_end=dt.date(2026, 3, 20), documents=replace_doc(base_docs(), 2, valid_to=dt.date(2026, 3, 25)))
    f = only(documents.RULE, inp)
    assert f.verdict is WARN and "剩余24天" in f.message
    assert f.evidence == {"document_id": 2, "doc_type": "insurance", "field": "valid_to", "value": "2026-03-25"}
    assert verdict(documents.RULE, with_settings(inp, documents__expiry_warning_days=20)) is PASS


def test_the_best_of_several_documents_of_a_type_counts() -> None:
    docs = base_docs() + [doc("insurance", valid_to=dt.date(2025, 6, 30))]  # last year's policy, still on file
    assert verdict(documents.RULE, make_input(documents=docs)) is PASS


def test_required_documents_follow_the_county_setting_and_extra_types() -> None:
    settings = {"documents.required_types": {"private_non_enterprise": ["safety_commitment", "fire_safety"]},
                "documents.extra_types": [{"key": "fire_safety", "label": "消防安全检查合格证明"}]}
    f = only(documents.RULE, make_input(settings=settings))
    assert f.verdict is BLOCK and f.message == "缺少必备材料：消防安全检查合格证明"


def test_required_documents_warn_when_the_county_has_none_for_the_org_type() -> None:
    inp = make_input(settings={"documents.required_types": {"enterprise": ["business_licence"]}})
    assert verdict(documents.RULE, inp) is WARN


def test_required_documents_for_an_individual() -> None:
    docs = [doc("id_card"), doc("insurance", valid_to=dt.date(2027, 6, 30)), doc("safety_commitment")]
    inp = make_input(provider=provider(org_type="individual"), documents=docs)
    assert verdict(documents.RULE, inp) is PASS
    assert verdict(documents.RULE, make_input(provider=provider(org_type="individual"))) is BLOCK


# --- licence scope -------------------------------------------------------------------------


def test_licence_scope_pass() -> None:
    f = only(licence_scope.RULE, make_input())
    assert f.verdict is PASS and "体育艺术" in f.message and "科普" in f.message


def test_licence_scope_blocks_a_category_outside_the_scope() -> None:
    f = only(licence_scope.RULE, make_input(categories=("体育艺术", "心理健康")))
    assert f.verdict is BLOCK and "心理健康" in f.message
    assert f.evidence == {"category": "心理健康", "field": "scope_text", "document_ids": [1]}


def test_licence_scope_warns_when_it_cannot_check() -> None:
    no_scope = make_input(documents=replace_doc(base_docs(), 1, scope_text=""))
    assert verdict(licence_scope.RULE, no_scope) is WARN
    unknown = make_input(categories=("体育艺术", "航模"))  # a county-added category without keywords
    f = only(licence_scope.RULE, unknown)
    assert f.verdict is WARN and "航模" in f.message
    configured = with_settings(unknown, vetting__category_scope_keywords=DEFAULTS["vetting.category_scope_keywords"]
                               | {"航模": ["航模", "模型"]})
    assert verdict(licence_scope.RULE, configured) is BLOCK


def test_licence_scope_ignores_whitespace_and_full_width_text() -> None:
    inp = make_input(categories=("心理健康",), documents=replace_doc(base_docs(), 1, scope_text="青少年 心 理 咨询服务"))
    assert verdict(licence_scope.RULE, inp) is PASS


# --- staff qualification -------------------------------------------------------------------


def test_staff_qualification_pass() -> None:
    assert only(qualification.RULE, make_input()).verdict is PASS


def test_staff_qualification_warns_when_the_certificate_number_differs() -> None:
    person = staff(1)
    docs = org_docs() + [doc("qualification_certificate", staff_id=1, number="ZY-9999"),
                         doc("criminal_record_certificate", staff_id=1)]
    f = only(qualification.RULE, make_input(staff=[person], documents=docs))
    assert f.verdict is WARN and "ZY-9999" in f.message and f.evidence["staff_id"] == 1


@pytest.mark.parametrize("change, field", [
    ({"qualification_number": " "}, "qualification_number"),
    ({"qualification_type": ""}, "qualification_type"),
])
def test_staff_qualification_blocks_a_missing_qualification(change: dict, field: str) -> None:
    inp = make_input(staff=[staff(1), staff(2, **change)])
    f = only(qualification.RULE, inp)
    assert f.verdict is BLOCK and "老师2" in f.message and f.evidence["field"] == field and f.evidence["staff_id"] == 2


def test_staff_qualification_blocks_an_application_without_staff() -> None:
    assert verdict(qualification.RULE, make_input(staff=[], documents=org_docs())) is BLOCK


# --- staff documents -----------------------------------------------------------------------


def test_staff_documents_pass() -> None:
    f = only(staff_documents.RULE, make_input())
    assert f.verdict is PASS and "2名" in f.message


def test_staff_documents_block_a_missing_certificate() -> None:
    people = [staff(1), staff(2)]
    docs = org_docs() + staff_docs(people[0]) + staff_docs(people[1])[:1]
    f = only(staff_documents.RULE, make_input(staff=people, documents=docs))
    assert f.verdict is BLOCK and f.message == "授课人员老师2缺少无犯罪记录证明"
    assert f.evidence == {"staff_id": 2, "doc_type": "criminal_record_certificate", "field": "doc_type"}


def test_another_persons_certificate_does_not_count() -> None:
    people = [staff(1), staff(2)]
    docs = org_docs() + staff_docs(people[0]) + [dataclasses.replace(d, staff_id=1) for d in staff_docs(people[1])]
    assert verdict(staff_documents.RULE, make_input(staff=people, documents=docs)) is BLOCK


def test_staff_documents_block_an_expired_and_warn_an_expiring_certificate() -> None:
    person = staff(1)
    expired = org_docs() + staff_docs(person, valid_to=dt.date(2026, 6, 30))
    f = only(staff_documents.RULE, make_input(staff=[person], documents=expired))
    assert f.verdict is BLOCK and "早于准入期结束日" in f.message and f.evidence["staff_id"] == 1
    expiring = org_docs() + staff_docs(person, valid_to=dt.date(2026, 3, 15))
    f = only(staff_documents.RULE, make_input(staff=[person], documents=expiring, period_end=dt.date(2026, 3, 10)))
    assert f.verdict is WARN and "资格证书" in f.message


def test_staff_documents_follow_the_county_setting() -> None:
    person = staff(1)
    inp = make_input(staff=[person], documents=org_docs() + staff_docs(person)[:1])
    assert verdict(staff_documents.RULE, inp) is BLOCK
    only_qualification = with_settings(inp, documents__staff_required_types=["qualification_certificate"])
    assert verdict(staff_documents.RULE, only_qualification) is PASS


# --- criminal record -----------------------------------------------------------------------


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)


def test_criminal_record_pass() -> None:
    assert only(criminal_record.RULE, make_input()).verdict is PASS


def test_criminal_record_warns_when_it_will_be_too_old_within_30_days() -> None:
    f = only(criminal_record.RULE, make_input(staff=[staff(1, criminal_record_issued_on=dt.date(2025, 9, 20))]))
    assert f.verdict is WARN and "2026-03-20" in f.message
    assert f.evidence == {"staff_id": 1, "field": "criminal_record_issued_on", "value": "2025-09-20"}


@pytest.mark.parametrize("issued", [dt.date(2025, 8, 31), dt.date(2024, 1, 1), dt.date(2026, 3, 2)])
def test_criminal_record_blocks_an_old_or_future_certificate(issued: dt.date) -> None:
    f = only(criminal_record.RULE, make_input(staff=[staff(1), staff(2, criminal_record_issued_on=issued)]))
    assert f.verdict is BLOCK and f.evidence["staff_id"] == 2 and "老师2" in f.message


def test_criminal_record_months_is_a_county_setting() -> None:
    inp = make_input(staff=[staff(1, criminal_record_issued_on=dt.date(2025, 8, 31))])
    assert verdict(criminal_record.RULE, inp) is BLOCK
    assert verdict(criminal_record.RULE, with_settings(inp, vetting__criminal_record_max_months=12)) is PASS


# --- serving teachers ----------------------------------------------------------------------


def test_serving_teacher_pass() -> None:
    assert only(serving_teacher.RULE, make_input()).verdict is PASS


def test_serving_teacher_blocks_where_forbidden_and_warns_where_allowed() -> None:
    inp = make_input(staff=[staff(1), staff(2, is_serving_teacher=True)])
    f = only(serving_teacher.RULE, inp)
    assert f.verdict is BLOCK and "老师2" in f.message and f.evidence["staff_id"] == 2
    f = only(serving_teacher.RULE, with_settings(inp, vetting__forbid_serving_teachers=False))
    assert f.verdict is WARN and "老师2" in f.message


# --- blacklist -------------------------------------------------------------------------------


def test_blacklist_pass() -> None:
    assert only(blacklist.RULE, make_input(blacklist=frozenset({("person", "h-someone-else")}))).verdict is PASS


@pytest.mark.parametrize("entry, subject, shown", [
    (("organisation", "h-org"), "organisation", "西湖青少年艺术中心"),
    (("person", "h-rep"), "legal_rep", "法定代表人张三（身份证号尾号0015）"),
    (("person", "h-staff-2"), "staff", "授课人员老师2（身份证号尾号0002）"),
])
def test_blacklist_blocks_a_match_and_shows_masked_identifiers_only(entry: tuple, subject: str, shown: str) -> None:
    f = only(blacklist.RULE, make_input(blacklist=frozenset({entry})))
    assert f.verdict is BLOCK and f.evidence["subject"] == subject and shown in f.message
    text = f.message + repr(f.evidence)
    assert "h-" not in text and make_uscc() not in text


def test_a_person_hash_does_not_match_an_organisation_entry() -> None:
    assert verdict(blacklist.RULE, make_input(blacklist=frozenset({("organisation", "h-rep")}))) is PASS


def test_blacklist_warns_when_an_identifier_cannot_be_compared() -> None:
    f = only(blacklist.RULE, make_input(staff=[staff(1, id_hash="")]))
    assert f.verdict is WARN and f.evidence == {"field": "id_hash", "id_last4": "0001", "subject": "staff", "staff_id": 1}


# --- academic content ------------------------------------------------------------------------

#: (title, description, expected verdict, why)
COURSES = [
    ("少儿国画启蒙", "", PASS, "arts"),
    ("趣味科学实验", "用生活材料做小实验，感受科学的乐趣", PASS, "科普 is encouraged; 科学 is not a 学科类 subject"),
    ("书法练习（硬笔）", "", PASS, "traditional culture"),
    ("篮球基础", "", PASS, "sport"),
    ("非遗剪纸", "", PASS, "heritage craft"),
    ("创意美术", "", PASS, "arts"),
    ("少儿编程（Scratch）", "", PASS, "信息技术 is 非学科类"),
    ("机器人搭建与编程", "", PASS, "科技"),
    ("围棋入门", "", PASS, "board game"),
    ("合唱团", "学习发声方法与合唱曲目", PASS, "music"),
    ("绘本阅读与分享", "", PASS, "reading is a category; 阅读理解 is not"),
    ("校园足球", "", PASS, "sport"),
    ("戏曲进校园：京剧脸谱", "", PASS, "traditional culture"),
    ("微生物的奥秘", "", PASS, "allow-list: 微生物 is not the subject 生物"),
    ("中考体育跳绳训练", "", PASS, "allow-list: 体育 is 非学科类"),
    ("青少年心理辅导小组", "", PASS, "allow-list: 心理辅导 is mental health"),
    ("家乡历史文化探访", "", PASS, "allow-list: local heritage"),
    ("珠算文化与算盘制作", "", PASS, "珠算 is intangible heritage; not listed by default"),
    ("数独游戏", "", PASS, "puzzle, no subject word"),
    ("演讲与口才", "", PASS, "speech"),
    ("跨学科综合实践：校园种植", "", PASS, "allow-list: seed 001 asks for 跨学科综合实践活动"),
    ("快乐足球", "本课程不涉及语文、数学等学科内容", WARN, "negated mention in prose: a person reads it"),
    ("逻辑思维训练", "", WARN, "思维训练 is the usual disguise of 奥数"),
    ("趣味识字", "", WARN, "识字 may be 语文"),
    ("古诗词吟诵", "", WARN, "古诗词: 语文 content or traditional culture"),
    ("作业辅导", "", WARN, "辅导: homework help is the school's job"),
    ("小学奥数思维训练", "", BLOCK, "奥数"),
    ("英语同步辅导", "", BLOCK, "英语, 同步辅导"),
    ("初中物理提分班", "", BLOCK, "物理, 提分"),
    ("作文素材积累", "", BLOCK, "作文"),
    ("数学思维游戏", "", BLOCK, "数学: a game named after the subject is still the subject"),
    # a mixed title (a subject name beside a non-academic theme) is for a person to judge (issue 18 part 5); seed
    # 003 counts 英语课本剧 as a subject club, which the county may decide by its theme list
    ("英文绘本戏剧", "", WARN, "英文 beside 戏剧/绘本: a person decides"),
    ("小升初语文冲刺", "", BLOCK, "小升初, 语文"),
    ("化学实验探究（初三）", "", BLOCK, "化学"),
    ("期末复习专项刷题", "", BLOCK, "复习, 刷题"),
    ("新概念英语", "", BLOCK, "新概念, 英语"),
    ("自然拼读", "", BLOCK, "phonics: English"),
    ("口算速算天天练", "", BLOCK, "arithmetic drill"),
    ("阅读理解专项训练", "", BLOCK, "语文 test preparation"),
    ("生物学科知识拓展", "", BLOCK, "生物, 学科知识"),
    ("奥 数 入 门", "", BLOCK, "spaces do not hide a word"),
    ("创意手工", "巩固课内数学知识，提高考试成绩", BLOCK, "a description teaching 数学"),
    ("快乐英语 ABC", "", BLOCK, "英语"),
]


def one_course(title: str, description: str = "", **kw: Any) -> VettingInput:
    return make_input(courses=(course(title, description),), statement="", **kw)


def test_there_are_at_least_30_course_titles() -> None:
    assert len(COURSES) >= 30
    assert {v for _, _, v, _ in COURSES} == {PASS, WARN, BLOCK}


@pytest.mark.parametrize("title, description, expected, why", COURSES, ids=[c[0] for c in COURSES])
def test_academic_content_of_a_course(title: str, description: str, expected: Verdict, why: str) -> None:
    found = check(academic_content.RULE, one_course(title, description))
    assert outcome(found) is expected, (why, [f.message for f in found])
    if expected is not PASS:
        assert all(f.evidence["course"] == title and f.evidence["words"] for f in found)
        assert all(f"课程「{title}」" in f.message for f in found)


def test_academic_content_evidence_names_the_course_field_and_words() -> None:
    f = only(academic_content.RULE, one_course("初中物理提分班"))
    assert f.evidence == {"course": "初中物理提分班", "field": "title", "words": ["物理", "提分"]}
    assert f.message == "课程「初中物理提分班」的名称含学科类培训用语：物理、提分"
    f = only(academic_content.RULE, one_course("快乐足球", "本课程不涉及语文、数学等学科内容"))
    assert f.evidence["field"] == "description" and "否定语境" in f.message


def test_a_negation_in_a_title_does_not_help() -> None:
    assert verdict(academic_content.RULE, one_course("不一样的数学课")) is BLOCK


def test_the_statement_is_checked_but_only_warns() -> None:
    inp = make_input(statement="我机构有十年历史，主要开展英语口语培训。")
    f = only(academic_content.RULE, inp)
    assert f.verdict is WARN and f.evidence == {"field": "statement", "words": ["英语", "历史"]}  # list order
    assert f.message.startswith("申请说明含学科类培训用语：英语、历史")


def test_a_county_changes_the_academic_words_and_the_allow_list() -> None:
    abacus = one_course("珠心算速成")
    assert verdict(academic_content.RULE, abacus) is PASS
    words = DEFAULTS["vetting.academic_words"] + ["珠心算"]
    assert verdict(academic_content.RULE, with_settings(abacus, vetting__academic_words=words)) is BLOCK

    drama = one_course("英文绘本戏剧")
    allow = DEFAULTS["vetting.academic_allow"] + ["英文绘本戏剧"]
    assert verdict(academic_content.RULE, with_settings(drama, vetting__academic_allow=allow)) is PASS

    pe = one_course("中考体育跳绳训练")
    assert verdict(academic_content.RULE, with_settings(pe, vetting__academic_allow=[])) is BLOCK

    homework = one_course("作业辅导")
    assert verdict(academic_content.RULE, with_settings(homework, vetting__academic_warn_words=[])) is PASS
    assert verdict(academic_content.RULE, with_settings(homework, vetting__academic_words=["辅导"])) is BLOCK


def test_academic_content_pass_names_what_was_checked() -> None:
    f = only(academic_content.RULE, make_input())
    assert f.verdict is PASS and f.message.startswith("2门课程")


# --- promotion -------------------------------------------------------------------------------

PROMOTIONS = [
    ("少儿街舞", "", PASS),
    ("非遗体验课：扎染", "亲手体验扎染工艺", PASS),
    ("扫码签到的智能跳绳", "", PASS),
    ("报名即送课时包", "", BLOCK),
    ("暑期班预报名", "", BLOCK),
    ("创意黏土", "扫码领取体验礼包", BLOCK),
    ("乐高搭建", "详情加微信咨询", BLOCK),
    ("少儿武术", "老带新可减免学费", BLOCK),
    ("素描基础", "首节免费试听课，满意再报名", BLOCK),
    ("趣味陶艺", "赠送陶泥材料", WARN),
    ("小小摄影师", "作品将在公众号展示", WARN),
    ("围棋", "本课程不设课时包、不收取续费", WARN),
]


@pytest.mark.parametrize("title, description, expected", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_promotion_in_a_course(title: str, description: str, expected: Verdict) -> None:
    assert verdict(promotion.RULE, one_course(title, description)) is expected


def test_promotion_evidence_and_statement() -> None:
    f = only(promotion.RULE, one_course("报名即送课时包"))
    assert f.evidence == {"course": "报名即送课时包", "field": "title", "words": ["报名即送", "课时包"]}
    f = only(promotion.RULE, make_input(statement="欢迎家长加微信了解本机构暑假班。"))
    assert f.verdict is WARN and f.evidence["field"] == "statement"


def test_promotion_words_are_a_county_setting() -> None:
    inp = one_course("国学经典诵读", "结业赠送精美礼品")
    assert verdict(promotion.RULE, inp) is WARN
    assert verdict(promotion.RULE, with_settings(inp, vetting__promotion_words=["礼品"])) is BLOCK
    assert verdict(promotion.RULE, make_input()) is PASS


# --- engine ----------------------------------------------------------------------------------


def _boom(inp: VettingInput) -> list[Finding]:
    raise KeyError("oops")


def test_a_failing_rule_becomes_a_block_and_the_run_goes_on() -> None:
    broken = Rule(name="broken", label="坏规则", source="test", check=_boom)
    wrong = Rule(name="wrong", label="返回错误", source="test", check=lambda inp: ["not a finding"])  # type: ignore[list-item]
    odd = Rule(name="odd", label="非法结论", source="test",
               check=lambda inp: [Finding("odd", "maybe", "？")])  # type: ignore[arg-type]
    findings = run_rules(make_input(), [broken, wrong, odd, uscc.RULE])
    assert [(f.rule, f.verdict) for f in findings] == [("broken", BLOCK), ("wrong", BLOCK), ("odd", BLOCK), ("uscc", PASS)]
    assert findings[0].message.startswith("规则执行出错") and "坏规则" in findings[0].message
    assert findings[0].evidence == {"error": "KeyError"}
    assert summarise(findings) == {"pass": 1, "warn": 0, "block": 3}
    assert outcome(findings) is BLOCK and outcome(findings[3:]) is PASS and outcome([]) is PASS


def test_a_plain_string_verdict_is_accepted() -> None:
    rule = Rule(name="plain", label="字符串结论", source="test", check=lambda inp: [Finding("plain", "warn", "提醒")])  # type: ignore[arg-type]
    [f] = run_rules(make_input(), [rule])
    assert f.verdict is WARN and f.verdict.value == "warn"


def test_fingerprints_are_stable_across_runs_and_days() -> None:
    inp = make_input(staff=[staff(1, criminal_record_issued_on=dt.date(2025, 1, 1))],
                     courses=(course("小学奥数"),), blacklist=frozenset({("person", "h-rep")}))
    first = [f.fingerprint for f in run_rules(inp, list(BUILTIN_RULES)) if f.verdict is BLOCK]
    later = dataclasses.replace(inp, today=TODAY + dt.timedelta(days=3))
    assert first == [f.fingerprint for f in run_rules(later, list(BUILTIN_RULES)) if f.verdict is BLOCK]
    assert len(first) == len(set(first)) == 3  # criminal record, blacklist, 奥数


def test_every_verdict_counts_in_the_summary() -> None:
    inp = make_input(provider=provider(org_type="enterprise", uscc=make_uscc("91330106MA0000001")),
                     documents=org_docs()[1:] + [doc("business_licence", scope_text=SCOPE)],
                     staff=[staff(1, is_serving_teacher=True)])
    counts = summarise(run_rules(inp, list(BUILTIN_RULES)))
    assert counts["warn"] >= 1 and counts["block"] >= 2 and counts["pass"] >= 1
    assert sum(counts.values()) >= len(BUILTIN_RULES)


# --- plugin registration ---------------------------------------------------------------------


def test_the_plugin_registers_settings_and_rules_through_the_plugin_manager() -> None:
    pm = build_plugin_manager(load_entrypoints=False)
    specs = [spec for answer in pm.hook.kehou_register_settings() for spec in answer]
    registry = policy.SettingsRegistry(specs)  # no key declared twice
    ours = {s.key: s for s in plugin.VETTING_SETTINGS}
    assert set(ours) <= set(registry.specs)
    assert all(k.startswith(("documents.", "vetting.")) for k in ours)
    for key, spec in ours.items():
        assert policy.coerce(spec, spec.default) == DEFAULTS[key]
        assert spec.label
    assert ours["documents.expiry_warning_days"].default == 30
    assert ours["vetting.criminal_record_max_months"].default == 6
    assert ours["vetting.forbid_serving_teachers"].default is True
    assert ours["documents.max_size_bytes"].default == 20 * 1024 * 1024
    assert set(ours["vetting.category_scope_keywords"].default) == set(registry.spec("catalogue.categories").default)
    assert set(ours["documents.required_types"].default) == set(ours["vetting.allowed_org_types"].default)

    rules = collect_rules(pm)
    assert [r.name for r in rules] == [r.name for r in BUILTIN_RULES]
    defaults = {key: spec.default for key, spec in registry.specs.items()}
    findings = run_rules(make_input(settings=defaults), rules)
    assert summarise(findings) == {"pass": len(rules), "warn": 0, "block": 0}


def test_collect_rules_refuses_duplicates_and_non_rules() -> None:
    class Twice:
        from kehou.pluginapi import hookimpl

        @hookimpl
        def kehou_register_vetting_rules(self) -> list[Rule]:
            return [uscc.RULE]

    with pytest.raises(ValueError, match="uscc"):
        collect_rules(build_plugin_manager(load_entrypoints=False, extra=[Twice()]))

    class Bare:
        from kehou.pluginapi import hookimpl

        @hookimpl
        def kehou_register_vetting_rules(self) -> list[Any]:
            return [lambda inp: []]

    with pytest.raises(TypeError):
        collect_rules(build_plugin_manager(load_entrypoints=False, extra=[Bare()]))


def test_collect_rules_takes_a_per_county_hook_caller() -> None:
    from kehou.plugin_manager import hooks_for_county

    pm = build_plugin_manager(load_entrypoints=False)
    caller = hooks_for_county(pm, "kehou_register_vetting_rules", enabled=[])
    assert [r.name for r in collect_rules(caller)] == [r.name for r in BUILTIN_RULES]
