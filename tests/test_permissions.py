"""Who may NOT use each JSON API endpoint.

One table row per (method, route) under ``/api``: the state the data must be
in, the actors that must be refused (with the exact status and error code) and
one or more actors who may use it. Each row's test checks every refusal, that
no refusal left a trace in the audit log, and then that an allowed actor
succeeds with the same request, so a refusal can never pass by accident (a
broken request body, a wrong id).

``test_every_api_route_is_in_the_table`` fails when an endpoint is added
without a row here. HTML pages (outside ``/api``) are not covered by this file.

Actors are the users of ``tests.factories.make_world`` plus ``culture`` (a
joint-review department the county does not require) and ``other_police`` (a
department of the other county); ``anonymous`` sends no token.

A refusal the code does not yet give is still written down as it should be,
with ``bug=`` saying what happens instead: the row then fails on anything
else, and is reported as an expected failure (xfail) until the bug is fixed,
when it fails again so the marker is removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from kehou.app import create_app
from kehou.platform.accounts import services as accounts
from kehou.platform.admission import notice, review
from kehou.platform.admission import services as admission
from kehou.platform.admission.models import Application
from kehou.platform.audit.models import AuditEntry
from kehou.platform.documents import services as documents
from kehou.platform.documents.models import Document
from kehou.platform.notifications.models import Notification
from kehou.platform.policy import services as policy
from kehou.timeutil import clock, utcnow
from kehou.vetting import blacklist
from kehou.vetting import services as vetting
from kehou.vetting.models import BlacklistEntry
from kehou.vetting.types import Verdict
from tests.factories import ADMIN, COUNTY, OTHER_COUNTY, PASSWORD, SYSTEM, World, pdf, resident_id, review_documents, uscc
from tests.helpers import err, ok
from tests.outcome_rows import CASES as OUTCOME_CASES
from tests.outcome_rows import PUBLIC as OUTCOME_PUBLIC
from tests.outcome_rows import prepare as outcome_prepare
from tests.permission_table import ANON, APP_404, DENIED, PROVIDER_404, At, Case, PublicCase, Refusal, refuse

SCORES = {"qualification": 22, "curriculum": 26, "staff": 20, "safety": 18}
SETTING_KEY = "admission.pass_score"
PROVIDER_BODY = {  # the provider of tests.factories, unchanged but for the address
    "name": "西湖青少年美术中心", "uscc": uscc("52330106MJ0000001"), "org_type": "private_non_enterprise",
    "legal_rep_name": "张三", "legal_rep_id_number": resident_id(), "contact_name": "李四",
    "contact_phone": "13800138000", "address": "杭州市西湖区文三路1号",
}
STAFF_BODY = {"name": "陈老师", "id_number": resident_id("33010619920202234"), "qualification_type": "teacher_certificate",
              "qualification_number": "JS-2023-002",
              "criminal_record_issued_on": (clock.today_local() - dt.timedelta(days=30)).isoformat()}
NEW_STAFF_USER = {"username": "new_staff", "display_name": "新工作人员", "password": PASSWORD, "role": "county_staff",
                  "county_code": COUNTY, "can_review": True}
DOCUMENT_UPLOAD = {  # multipart: a new insurance policy of the provider
    "file": ("insurance-2026.pdf", pdf("permissions"), "application/pdf"),
    "doc_type": "insurance", "number": "BX-2026-001", "issuer": "人保财险杭州分公司",
    "valid_from": "2026-01-01", "valid_to": "2029-12-31",
}
BLACKLIST_CSV = "类型,名称,证件号,原因\r\n机构,某违规培训机构,{},违规收费\r\n".format(uscc("91330106MA2B00001")).encode()
BLACKLIST_IMPORT = {"file": ("黑名单.csv", BLACKLIST_CSV, "text/csv"), "reason": "2025年度通报"}


# --------------------------------------------------------------------------- table


# Actors refused by every provider-only operation on the provider's own application.
NOT_THE_PROVIDER = refuse(*DENIED, "admin", "reviewer1", "decider", "police", "parent", "school_admin", "other_reviewer") \
    + refuse(*APP_404, "other_provider")
# Actors refused by every reviewer operation (material check, scoring, finishing the review).
NOT_A_COUNTY_REVIEWER = (
    refuse(*APP_404, "other_provider", "other_reviewer", "other_decider", "parent", "school_admin")
    + refuse(*DENIED, "provider", "police", "admin")
    + refuse(403, "review_right_required", "decider")
)
# Actors refused by both decisions (approve, reject).
NOT_A_COUNTY_DECIDER = (
    refuse(*APP_404, "other_provider", "other_reviewer", "other_decider", "parent", "school_admin")
    + refuse(*DENIED, "provider", "police", "admin")
    + refuse(403, "decide_right_required", "reviewer1")
)
NOT_SHOWN_THE_PROVIDER = refuse(*PROVIDER_404, "other_provider", "other_reviewer", "other_decider", "parent", "school_admin")
# Actors who do not see an application (nor its vetting): not its provider, not of its county.
NOT_SHOWN_THE_APPLICATION = refuse(*APP_404, "other_provider", "other_reviewer", "other_decider", "other_police", "parent",
                                   "school_admin")
# Actors who do not see a provider's document: not the provider, not of a county it applied in.
NOT_SHOWN_THE_DOCUMENT = refuse(404, "document_not_found", "other_provider", "other_reviewer", "other_decider", "other_police",
                                "parent", "school_admin")
# Actors refused by every blacklist operation whatever the county: all but county staff and the platform admin.
NOT_COUNTY_STAFF = refuse(403, "blacklist_denied", "provider", "other_provider", "police", "culture", "other_police", "parent",
                          "school_admin")
MENU_404 = (404, "menu_not_found")
# Actors refused by the school's own pages: not its administrator.
NOT_THIS_SCHOOL = refuse(*DENIED, "parent", "provider", "reviewer1") + refuse(404, "school_not_found", "other_school_admin")
NOT_THIS_SCHOOL_STUDENT = (refuse(*DENIED, "parent", "provider", "reviewer1")
                           + refuse(404, "school_not_found", "other_school_admin"))
NOT_THIS_MENU = refuse(*DENIED, "parent", "provider", "reviewer1") + refuse(*MENU_404, "other_school_admin")
# Actors refused by a parent's operations on their child: not one of the child's guardians.
NOT_A_PARENT_OF_THE_SCHOOL = refuse(*DENIED, "school_admin", "provider", "reviewer1") + refuse(*MENU_404, "other_parent")
NOT_THE_PARENT = refuse(*DENIED, "school_admin", "provider", "reviewer1") + refuse(404, "student_not_found", "other_parent")
BILL_404 = (404, "bill_not_found")
BANK_CSV = "交易流水号,交易日期,金额,付款人,附言\r\nCCB-0001,2026-11-20,10.00,王女士,学费\r\n".encode()
ROSTER_CSV = "学号,姓名,年级,班级,监护人姓名,关系,监护人手机号\r\nG2026-0101,王小雨,3,1班,王大山,父亲,13957100101\r\n".encode()
# Actors refused by the school's billing steps: not its administrator (county staff may look, not act).
NOT_A_SCHOOL_COLLECTOR = refuse(*DENIED, "parent", "provider", "police") + refuse(404, "school_not_found", "other_school_admin",
                                                                                   "reviewer1", "other_reviewer")
# Actors who do not see a school's bills: not its administrator, not staff of its county.
NOT_SHOWN_THE_SCHOOL = refuse(*DENIED, "parent", "provider", "police") + refuse(404, "school_not_found", "other_school_admin",
                                                                                 "other_reviewer")
# Actors who do not see a settlement: not its school, provider or county.
NOT_SHOWN_THE_SETTLEMENT = refuse(*DENIED, "parent", "police") + refuse(404, "settlement_not_found", "other_school_admin",
                                                                         "other_provider", "other_reviewer")
EXIT_404 = (404, "exit_case_not_found")
# Actors refused by the county's steps on an exit case: not county staff of its county.
NOT_COUNTY_EXIT_STAFF = (refuse(*DENIED, "provider", "parent", "school_admin", "police", "admin")
                         + refuse(*EXIT_404, "other_reviewer", "other_decider"))
# Actors refused by the provider's answers in its exit case.
NOT_THE_EXITING_PROVIDER = refuse(*DENIED, "reviewer1", "decider", "parent", "school_admin") + refuse(*EXIT_404, "other_provider")
AGREEMENT_404 = (404, "agreement_not_found")
# Actors who do not see the tripartite agreement of ``agreement_in``: no party to it, not staff of its county.
NOT_SHOWN_THE_AGREEMENT = refuse(*AGREEMENT_404, "other_parent", "other_school_admin", "other_provider", "other_reviewer",
                                 "other_decider", "police", "culture", "admin")
AGREEMENT_VALUES = {"parent_name": "王芳", "course": "少儿软笔书法", "schedule": "每周一 16:00-17:00，书法教室",
                    "fee": "每学期320元", "materials": "40元", "refund_rule": "退费规则第1版：开课前全额退费"}
OFFERING_BODY = {"county_code": COUNTY, "title": "少儿围棋", "category": "体育艺术", "grades": [2, 3, 4], "sessions_per_week": 1,
                 "minutes": 60, "capacity": 24, "fee_fen": 28000, "instructor_id": At("staff_id")}
SPRING_MENU = {"opens_at": "2027-02-20T00:00:00Z", "closes_at": "2027-02-25T00:00:00Z", "service_start": "15:30",
               "service_end": "17:40", "homework_minutes": 40, "term_day": "2027-03-01"}

CASES: list[Case] = [
    # accounts
    Case("DELETE", "/api/v1/auth/token", ANON, allowed=("provider",), ok_status=204),
    Case("GET", "/api/v1/me", ANON, allowed=("parent", "provider", "police")),
    Case("GET", "/api/v1/notifications", ANON, allowed=("parent", "provider")),
    Case("POST", "/api/v1/users", ANON
         + refuse(403, "user_create_denied", "reviewer1", "police", "provider", "school_admin", "parent")
         + refuse(*DENIED, "other_decider"),
         allowed=("decider",), ok_status=201, body=NEW_STAFF_USER),
    # applications: reading
    Case("GET", "/api/v1/applications", ANON, allowed=("parent", "provider", "reviewer1"), state="submitted"),
    Case("GET", "/api/v1/applications/{app_id:int}", ANON
         + refuse(*APP_404, "other_provider", "other_reviewer", "other_decider", "parent", "school_admin"),
         allowed=("provider", "reviewer1", "decider", "police", "admin"), state="submitted"),
    # applications: the provider's steps
    Case("POST", "/api/v1/applications", ANON
         + refuse(*DENIED, "admin", "reviewer1", "decider", "police", "school_admin", "parent"),
         allowed=("provider",), ok_status=201, body={"county_code": COUNTY, "categories": ["阅读"]}),
    Case("PUT", "/api/v1/applications/{app_id:int}", ANON + NOT_THE_PROVIDER, allowed=("provider",), state="draft",
         body={"categories": ["阅读", "科普"], "statement": "阅读与科普"}),
    Case("POST", "/api/v1/applications/{app_id:int}/submit", ANON + NOT_THE_PROVIDER, allowed=("provider",), state="draft"),
    Case("POST", "/api/v1/applications/{app_id:int}/resubmit", ANON + NOT_THE_PROVIDER, allowed=("provider",),
         state="returned", body={"note": "已补充"}),
    Case("POST", "/api/v1/applications/{app_id:int}/withdraw", ANON + NOT_THE_PROVIDER, allowed=("provider",),
         state="submitted", body={"reason": "暂不申请"}),
    # applications: the county's steps
    Case("POST", "/api/v1/applications/{app_id:int}/return", ANON + NOT_A_COUNTY_REVIEWER, allowed=("reviewer1",),
         state="submitted", body={"message": "请补充场地安全说明"}),
    Case("POST", "/api/v1/applications/{app_id:int}/accept", ANON + NOT_A_COUNTY_REVIEWER, allowed=("reviewer1",),
         state="documents_reviewed", body={}),
    Case("POST", "/api/v1/applications/{app_id:int}/scores", ANON + NOT_A_COUNTY_REVIEWER, allowed=("reviewer2",),
         state="expert_review", body={"scores": SCORES}),
    Case("POST", "/api/v1/applications/{app_id:int}/finish-review", ANON + NOT_A_COUNTY_REVIEWER, allowed=("reviewer1",),
         state="scored", body={}),
    Case("POST", "/api/v1/applications/{app_id:int}/signoff", ANON
         + refuse(*DENIED, "provider", "reviewer1", "decider", "admin", "parent", "school_admin", "other_reviewer")
         + refuse(*APP_404, "other_police")
         + refuse(403, "department_not_required", "culture"),
         allowed=("police",), state="joint_signoff", body={"agreed": True, "comment": "无违法记录"}),
    Case("POST", "/api/v1/applications/{app_id:int}/close-notice", ANON
         + refuse(*DENIED, "provider", "other_provider", "police", "admin", "parent", "school_admin")
         + refuse(*APP_404, "other_reviewer", "other_decider")
         + refuse(403, "review_right_required", "decider"),
         allowed=("reviewer1",), state="notice_ended"),
    Case("POST", "/api/v1/applications/{app_id:int}/approve", ANON + NOT_A_COUNTY_DECIDER
         # scored it, so may not approve it alone, although holding the decide right
         + refuse(403, "reviewer_cannot_decide", "reviewer_decider"),
         allowed=("decider",), state="awaiting_decision", body={"reason": "符合准入条件"}),
    Case("POST", "/api/v1/applications/{app_id:int}/reject", ANON + NOT_A_COUNTY_DECIDER, allowed=("decider",),
         state="awaiting_decision", body={"reason": "场地不符合安全要求"}),
    Case("POST", "/api/v1/objections/{objection_id:int}/answer", ANON
         + refuse(*DENIED, "provider", "other_provider", "police", "admin", "parent", "school_admin")
         + refuse(404, "objection_not_found", "other_reviewer", "other_decider")
         + refuse(403, "review_right_required", "decider"),
         allowed=("reviewer1",), state="objection", body={"answer": "经核查异议不成立", "upheld": False}),
    Case("POST", "/api/v1/applications/{app_id:int}/objections/dismiss", ANON
         + refuse(*DENIED, "provider", "other_provider", "police", "admin", "parent", "school_admin")
         + refuse(404, "application_not_found", "other_reviewer", "other_decider")
         + refuse(403, "review_right_required", "decider"),
         allowed=("reviewer1",), state="objection", body={"objection_ids": [At("objection_id")], "reason": "同一来源批量提交"}),
    # audit log: decision-makers of the county and the platform admin only
    Case("GET", "/api/v1/audit", ANON
         + refuse(*DENIED, "provider", "police", "parent", "school_admin", "other_reviewer", "other_decider")
         + refuse(403, "audit_read_denied", "reviewer1"),
         allowed=("decider", "reviewer_decider", "admin"), params={"county": COUNTY}),
    # regions, schools, settings
    Case("POST", "/api/v1/regions", ANON
         + refuse(*DENIED, "decider", "reviewer1", "police", "provider", "school_admin", "parent"),
         allowed=("admin",), ok_status=201, body={"code": "330109", "name": "萧山区"}),
    Case("GET", "/api/v1/counties/{code:str}/schools", ANON
         + refuse(*DENIED, "provider", "parent", "other_reviewer", "other_decider", "other_police"),
         allowed=("reviewer1", "police", "school_admin", "admin")),
    Case("POST", "/api/v1/counties/{code:str}/schools", ANON
         + refuse(*DENIED, "reviewer1", "police", "school_admin", "parent", "provider", "other_decider"),
         allowed=("decider",), ok_status=201, body={"name": "西湖第二小学", "kind": "primary"}),
    Case("PUT", "/api/v1/counties/{code:str}/settings/{key:str}", ANON
         + refuse(*DENIED, "other_decider", "reviewer1", "police", "provider", "parent", "school_admin"),
         allowed=("decider",), body={"value": 70, "reason": "提高合格线"}),
    # providers
    Case("GET", "/api/v1/providers/{provider_id:int}", ANON + NOT_SHOWN_THE_PROVIDER,
         allowed=("provider", "reviewer1", "police", "admin"), state="submitted"),
    Case("PUT", "/api/v1/providers/{provider_id:int}", ANON
         + refuse(*DENIED, "admin", "reviewer1", "decider", "police", "parent", "school_admin")
         + refuse(*PROVIDER_404, "other_provider"),
         allowed=("provider",), body=PROVIDER_BODY),
    Case("GET", "/api/v1/providers/{provider_id:int}/staff", ANON + NOT_SHOWN_THE_PROVIDER,
         allowed=("provider", "reviewer1", "police", "admin"), state="submitted"),
    Case("POST", "/api/v1/providers/{provider_id:int}/staff", ANON
         + refuse(*DENIED, "admin", "reviewer1", "decider", "police", "parent", "school_admin")
         + refuse(403, "provider_mismatch", "other_provider"),
         allowed=("provider",), ok_status=201, body=STAFF_BODY),
    Case("POST", "/api/v1/providers/{provider_id:int}/users", ANON
         + refuse(*DENIED, "admin", "reviewer1", "decider", "police", "parent", "school_admin")
         + refuse(403, "user_create_denied", "other_provider"),
         allowed=("provider",), ok_status=201,
         body={"username": "provider_b", "display_name": "美术中心教务", "password": PASSWORD}),
    # documents: the provider uploads, its counties' staff read and review
    Case("POST", "/api/v1/providers/{provider_id:int}/documents", ANON
         + refuse(*DENIED, "admin", "reviewer1", "decider", "police", "parent", "school_admin")
         + refuse(403, "provider_mismatch", "other_provider"),
         allowed=("provider",), ok_status=201, state="submitted", multipart=DOCUMENT_UPLOAD),
    Case("GET", "/api/v1/providers/{provider_id:int}/documents",
         ANON + NOT_SHOWN_THE_PROVIDER + refuse(*PROVIDER_404, "other_police"),
         allowed=("provider", "reviewer1", "decider", "police", "admin"), state="submitted"),
    Case("GET", "/api/v1/documents/{document_id:int}/download", ANON + NOT_SHOWN_THE_DOCUMENT,
         allowed=("provider", "reviewer1", "decider", "police", "admin"), state="submitted"),
    Case("POST", "/api/v1/documents/{document_id:int}/review", ANON
         + refuse(*DENIED, "provider", "other_provider", "police", "other_police", "admin", "parent", "school_admin")
         + refuse(404, "document_not_found", "other_reviewer")
         + refuse(403, "review_right_required", "decider", "other_decider"),
         allowed=("reviewer1",), state="submitted", body={"accepted": True, "note": "保单在有效期内"}),
    # vetting of an application: results, an on-demand run, overriding a blocking finding
    Case("GET", "/api/v1/applications/{app_id:int}/vetting", ANON + NOT_SHOWN_THE_APPLICATION,
         allowed=("provider", "reviewer1", "decider", "police", "admin"), state="blocked"),
    Case("POST", "/api/v1/applications/{app_id:int}/vetting", ANON + NOT_SHOWN_THE_APPLICATION
         + refuse(*DENIED, "police"),
         allowed=("reviewer1",), ok_status=202, state="submitted"),
    Case("POST", "/api/v1/applications/{app_id:int}/vetting/overrides", ANON + NOT_SHOWN_THE_APPLICATION
         + refuse(*DENIED, "provider", "police", "admin")
         + refuse(403, "decide_right_required", "reviewer1", "reviewer2"),
         allowed=("decider",), ok_status=201, state="blocked",
         body={"fingerprint": At("fingerprint"), "reason": "保单续保中，已核验缴费凭证"}),
    # a county's blacklist: its staff read it, its decision-makers maintain it
    Case("GET", "/api/v1/counties/{code:str}/blacklist", ANON + NOT_COUNTY_STAFF
         + refuse(*DENIED, "other_reviewer", "other_decider"),
         allowed=("reviewer1", "decider", "admin")),
    Case("POST", "/api/v1/counties/{code:str}/blacklist/import", ANON + NOT_COUNTY_STAFF
         + refuse(*DENIED, "other_decider")
         + refuse(403, "decide_right_required", "reviewer1"),
         allowed=("decider",), multipart=BLACKLIST_IMPORT),
    Case("DELETE", "/api/v1/counties/{code:str}/blacklist/{entry_id:int}", ANON + NOT_COUNTY_STAFF
         + refuse(404, "blacklist_entry_not_found", "other_reviewer", "other_decider")
         + refuse(403, "decide_right_required", "reviewer1"),
         allowed=("decider",), body={"reason": "经复核系误列"}),
    # students (the school's roster) and a parent's children
    Case("GET", "/api/v1/schools/{school_id:int}/students", ANON + NOT_THIS_SCHOOL, allowed=("school_admin", "admin"),
         state="catalogue"),
    Case("POST", "/api/v1/schools/{school_id:int}/students", ANON + NOT_THIS_SCHOOL, allowed=("school_admin",),
         ok_status=201, state="catalogue", body={"student_no": "G2026-0099", "name": "王小虎", "grade": 4, "class_name": "2班"}),
    Case("POST", "/api/v1/students/{student_id:int}/guardians", ANON + NOT_THIS_SCHOOL_STUDENT, allowed=("school_admin",),
         ok_status=201, state="catalogue", body={"username": "parent", "relation": "父亲"}),
    Case("PUT", "/api/v1/students/{student_id:int}/priority", ANON + NOT_THIS_SCHOOL_STUDENT, allowed=("school_admin",),
         state="catalogue", body={"priority_group": "migrant", "reason": "随迁子女，居住证已核验"}),
    # the roster import and parents' activation slips: the school's own administrator only (not the platform admin)
    Case("POST", "/api/v1/schools/{school_id:int}/roster-imports", ANON + NOT_THIS_SCHOOL + refuse(*DENIED, "admin", "decider"),
         allowed=("school_admin",), ok_status=201, state="catalogue", multipart={"file": ("名册.csv", ROSTER_CSV, "text/csv")}),
    Case("POST", "/api/v1/schools/{school_id:int}/activation-slips", ANON + NOT_THIS_SCHOOL + refuse(*DENIED, "admin", "decider"),
         allowed=("school_admin",), ok_status=201, state="catalogue", body={"class_name": "1班"}),
    Case("GET", "/api/v1/me/children", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1"),
         allowed=("parent", "other_parent"), state="catalogue"),
    # course catalogue: providers' offerings, reviewed by the county
    Case("GET", "/api/v1/offerings", ANON + refuse(*DENIED, "parent", "school_admin", "police"),
         allowed=("provider", "reviewer1", "admin"), state="catalogue"),
    Case("POST", "/api/v1/offerings", ANON + refuse(*DENIED, "reviewer1", "decider", "school_admin", "parent", "police", "admin")
         + refuse(403, "provider_not_admitted", "other_provider"),
         allowed=("provider",), ok_status=201, state="catalogue", body=OFFERING_BODY),
    Case("POST", "/api/v1/offerings/{offering_id:int}/withdraw", ANON
         + refuse(*DENIED, "reviewer1", "school_admin", "parent", "admin") + refuse(404, "offering_not_found", "other_provider"),
         allowed=("provider",), state="catalogue", body={"reason": "教师调动"}),
    Case("POST", "/api/v1/offerings/{offering_id:int}/review", ANON
         + refuse(*DENIED, "provider", "other_provider", "school_admin", "parent", "police", "admin")
         + refuse(404, "offering_not_found", "other_reviewer", "other_decider"),
         allowed=("reviewer1", "decider"), state="catalogue_pending", body={"approve": True}),
    # the school's course supermarket
    Case("GET", "/api/v1/schools/{school_id:int}/offerings", ANON + NOT_THIS_SCHOOL, allowed=("school_admin", "admin"),
         state="catalogue"),
    Case("GET", "/api/v1/schools/{school_id:int}/menus", ANON + NOT_THIS_SCHOOL, allowed=("school_admin", "admin"),
         state="catalogue"),
    Case("POST", "/api/v1/schools/{school_id:int}/menus", ANON + NOT_THIS_SCHOOL, allowed=("school_admin",), ok_status=201,
         state="catalogue", body=SPRING_MENU),
    Case("GET", "/api/v1/menus/{menu_id:int}", ANON + NOT_THIS_MENU, allowed=("school_admin", "admin"), state="catalogue"),
    Case("POST", "/api/v1/menus/{menu_id:int}/entries", ANON + NOT_THIS_MENU, allowed=("school_admin",), ok_status=201,
         state="catalogue", body={"offering_id": At("offering_id"), "venue": "多功能厅", "capacity": 20,
                                  "slots": [{"weekday": 2, "start": "16:00"}]}),
    Case("POST", "/api/v1/menus/{menu_id:int}/publish", ANON + NOT_THIS_MENU, allowed=("school_admin",), state="catalogue_draft"),
    Case("DELETE", "/api/v1/entries/{entry_id:int}", ANON + NOT_THIS_MENU, allowed=("school_admin",), ok_status=204,
         state="catalogue_draft"),
    Case("GET", "/api/v1/entries/{entry_id:int}/roster", ANON + NOT_THIS_MENU, allowed=("school_admin", "admin"),
         state="catalogue_enrolled"),
    Case("POST", "/api/v1/entries/{entry_id:int}/cancel", ANON + NOT_THIS_MENU, allowed=("school_admin",),
         state="catalogue_enrolled", body={"reason": "场地维修"}),
    Case("POST", "/api/v1/entries/{entry_id:int}/merge", ANON + NOT_THIS_MENU, allowed=("school_admin",),
         state="catalogue_enrolled", body={"into_id": At("into_id"), "reason": "人数不足，合班"}),
    Case("GET", "/api/v1/entries/{entry_id:int}/lessons", ANON + refuse(*MENU_404, "other_school_admin")
         + refuse(*DENIED, "parent", "reviewer1") + refuse(404, "entry_not_found", "other_provider"),
         allowed=("school_admin", "provider", "admin"), state="catalogue"),
    # lessons: the provider checks in, the school records attendance
    Case("POST", "/api/v1/lessons/{lesson_id:int}/check-in", ANON + refuse(*DENIED, "school_admin", "parent", "reviewer1")
         + refuse(404, "lesson_not_found", "other_provider"),
         allowed=("provider",), state="catalogue_lesson_day", body={"staff_id": At("staff_id")}),
    Case("POST", "/api/v1/lessons/{lesson_id:int}/attendance", ANON + refuse(*DENIED, "provider", "parent", "reviewer1")
         + refuse(404, "school_not_found", "other_school_admin"),
         allowed=("school_admin",), state="catalogue_lesson_day",
         body={"marks": [{"student_id": At("student_id"), "status": "present"}]}),
    # parents choose for their own children only
    Case("GET", "/api/v1/children/{student_id:int}/courses", ANON + NOT_THE_PARENT, allowed=("parent",), state="catalogue"),
    # ranked-choice selection: the family's list, the school's allocation (tests/test_ranked_choices.py)
    Case("GET", "/api/v1/children/{student_id:int}/menus/{menu_id:int}/choices", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue_ranked"),
    Case("PUT", "/api/v1/children/{student_id:int}/menus/{menu_id:int}/choices", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue_ranked", body={"entry_ids": [At("entry_id")]}),
    Case("POST", "/api/v1/menus/{menu_id:int}/allocation", ANON + NOT_THIS_MENU, allowed=("school_admin",), ok_status=201,
         state="catalogue_closed"),
    Case("GET", "/api/v1/menus/{menu_id:int}/allocation", ANON + NOT_THIS_MENU, allowed=("school_admin",),
         state="catalogue_allocated"),
    Case("POST", "/api/v1/allocation-runs/{run_id:int}/publish",
         ANON + refuse(*DENIED, "parent", "provider", "reviewer1") + refuse(*MENU_404, "other_school_admin"),
         allowed=("school_admin",), state="catalogue_allocated"),
    # a child's departure from school (retention counts from it: tests/test_privacy_retention.py)
    Case("POST", "/api/v1/schools/{school_id:int}/departures", ANON + NOT_THIS_SCHOOL, allowed=("school_admin", "admin"),
         state="catalogue", body={"student_ids": [At("student_id")], "left_on": "2026-07-01", "reason": "graduated"}),
    # parents' rights and consent (tests/test_privacy_rights.py)
    Case("GET", "/api/v1/children/{student_id:int}/privacy", ANON + NOT_THE_PARENT, allowed=("parent",), state="privacy"),
    Case("POST", "/api/v1/children/{student_id:int}/privacy-requests", ANON + NOT_THE_PARENT, allowed=("parent",),
         ok_status=201, state="privacy", body={"kind": "correct", "detail": "班级应为3年级2班"}),
    Case("GET", "/api/v1/me/privacy-requests", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1"),
         allowed=("parent", "other_parent"), state="privacy_request"),
    Case("GET", "/api/v1/school/privacy-requests", ANON + refuse(*DENIED, "parent", "provider", "reviewer1"),
         allowed=("school_admin", "other_school_admin"), state="privacy_request"),
    Case("POST", "/api/v1/privacy-requests/{request_id:int}/answer", ANON + refuse(*DENIED, "parent", "provider", "reviewer1")
         + refuse(404, "request_not_found", "other_school_admin"), allowed=("school_admin",), state="privacy_request",
         body={"done": True, "answer": "已更正"}),
    Case("GET", "/api/v1/me/consents", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1"),
         allowed=("parent", "other_parent"), state="privacy"),
    Case("POST", "/api/v1/me/consents/{consent_scope:str}", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1"),
         allowed=("parent",), ok_status=201, state="privacy"),
    Case("DELETE", "/api/v1/me/consents/{consent_scope:str}", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1")
         + refuse(409, "consent_not_given", "other_parent"), allowed=("parent",), ok_status=204, state="privacy_consented"),
    # a provider's own current classes and their rosters, name, grade and class only (tests/test_provider_classes.py)
    Case("GET", "/api/v1/provider/classes", ANON + refuse(*DENIED, "school_admin", "parent", "reviewer1"),
         allowed=("provider", "other_provider"), state="catalogue"),
    Case("GET", "/api/v1/provider/classes/{entry_id:int}/roster", ANON + refuse(*DENIED, "school_admin", "parent", "reviewer1")
         + refuse(404, "entry_not_found", "other_provider"), allowed=("provider",), state="catalogue_enrolled"),
    # no-show release: the school decides on its own children's cases, a family answers for its own children
    Case("GET", "/api/v1/schools/{school_id:int}/no-show-cases", ANON + NOT_THIS_SCHOOL + refuse(*DENIED, "admin"),
         allowed=("school_admin",), state="catalogue_no_show"),
    Case("POST", "/api/v1/no-show-cases/{case_id:int}/decision", ANON + refuse(*DENIED, "parent", "provider", "reviewer1")
         + refuse(404, "no_show_not_found", "other_school_admin"), allowed=("school_admin",), state="catalogue_no_show",
         body={"keep": True, "reason": "家长已说明"}),
    Case("GET", "/api/v1/no-show-cases", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1"),
         allowed=("parent", "other_parent"), state="catalogue_no_show"),
    Case("POST", "/api/v1/no-show-cases/{case_id:int}/answer", ANON + refuse(*DENIED, "school_admin", "provider", "reviewer1")
         + refuse(404, "no_show_not_found", "other_parent"), allowed=("parent",), state="catalogue_no_show",
         body={"answer": "孩子生病在家休息"}),
    Case("GET", "/api/v1/children/{student_id:int}/courses/{entry_id:int}", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue"),
    Case("POST", "/api/v1/children/{student_id:int}/enrolments", ANON + NOT_THE_PARENT, allowed=("parent",), ok_status=201,
         state="catalogue", body={"entry_id": At("entry_id")}),
    Case("POST", "/api/v1/children/{student_id:int}/enrolments/{entry_id:int}/quit", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue_enrolled", body={"reason": "与兴趣班冲突"}),
    Case("GET", "/api/v1/children/{student_id:int}/timetable", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue_enrolled"),
    Case("GET", "/api/v1/children/{student_id:int}/agreements", ANON + NOT_THE_PARENT, allowed=("parent",),
         state="catalogue_enrolled"),
    Case("POST", "/api/v1/children/{student_id:int}/enrolments/{entry_id:int}/agreement", ANON + NOT_THE_PARENT,
         allowed=("parent",), state="catalogue_enrolled"),
    Case("POST", "/api/v1/children/{student_id:int}/lessons/{lesson_id:int}/attendance", ANON + NOT_THE_PARENT,
         allowed=("parent",), state="catalogue_marked", body={"confirm": True}),
    # the waiting room at opening: parents of the menu's school only
    Case("GET", "/api/v1/menus/{menu_id:int}/queue", ANON + NOT_A_PARENT_OF_THE_SCHOOL, allowed=("parent",), state="catalogue"),
    Case("POST", "/api/v1/menus/{menu_id:int}/queue", ANON + NOT_A_PARENT_OF_THE_SCHOOL, allowed=("parent",), state="catalogue"),
    # billing: bills, waivers, statements (the school), payments (the family), settlements, the ledger
    Case("POST", "/api/v1/schools/{school_id:int}/bills", ANON + NOT_A_SCHOOL_COLLECTOR, allowed=("school_admin",),
         state="billing", body={"term_name": At("term_name")}),
    Case("GET", "/api/v1/schools/{school_id:int}/bills", ANON + NOT_SHOWN_THE_SCHOOL,
         allowed=("school_admin", "reviewer1", "admin"), state="billing"),
    Case("GET", "/api/v1/children/{student_id:int}/bills", ANON + NOT_THE_PARENT, allowed=("parent",), state="billing"),
    Case("GET", "/api/v1/bills/{bill_id:int}", ANON + refuse(*DENIED, "provider", "police")
         + refuse(*BILL_404, "other_parent", "other_school_admin", "other_reviewer"),
         allowed=("parent", "school_admin", "reviewer1", "admin"), state="billing"),
    Case("POST", "/api/v1/bills/{bill_id:int}/pay", ANON + refuse(*DENIED, "provider", "police")
         + refuse(*BILL_404, "other_parent", "other_school_admin", "other_reviewer") + refuse(403, "not_collector", "reviewer1"),
         allowed=("parent",), state="billing", body={"gateway": "offline"}),
    Case("GET", "/api/v1/payment-gateways", ANON, allowed=("parent", "school_admin"), state="billing"),
    Case("POST", "/api/v1/schools/{school_id:int}/waivers", ANON + NOT_A_SCHOOL_COLLECTOR, allowed=("school_admin",),
         ok_status=201, state="billing", body={"student_id": At("student_id"), "term_name": At("term_name"), "tier": "half",
                                               "evidence": "低保证明 编号2026-01", "reason": "家庭经济困难"}),
    Case("GET", "/api/v1/schools/{school_id:int}/waivers", ANON + NOT_SHOWN_THE_SCHOOL,
         allowed=("school_admin", "reviewer1", "admin"), state="billing"),
    Case("POST", "/api/v1/schools/{school_id:int}/statements", ANON + NOT_A_SCHOOL_COLLECTOR, allowed=("school_admin",),
         state="billing_term_over", body={"term_name": At("term_name")}),
    Case("GET", "/api/v1/schools/{school_id:int}/statements", ANON + NOT_SHOWN_THE_SCHOOL,
         allowed=("school_admin", "reviewer1", "admin"), state="billing"),
    Case("POST", "/api/v1/schools/{school_id:int}/refunds", ANON + NOT_A_SCHOOL_COLLECTOR, allowed=("school_admin",),
         state="billing_term_over", body={"term_name": At("term_name")}),
    Case("POST", "/api/v1/schools/{school_id:int}/settlements", ANON + NOT_A_SCHOOL_COLLECTOR, allowed=("school_admin",),
         state="billing_delivered", body={"period_start": At("period_start"), "period_end": At("period_end")}),
    Case("GET", "/api/v1/settlements", ANON + refuse(*DENIED, "parent", "police"),
         allowed=("school_admin", "provider", "reviewer1", "admin"), state="billing_settlement"),
    Case("GET", "/api/v1/settlements/{settlement_id:int}", ANON + NOT_SHOWN_THE_SETTLEMENT,
         allowed=("school_admin", "provider", "reviewer1", "admin"), state="billing_settlement"),
    Case("GET", "/api/v1/settlements/{settlement_id:int}/xlsx", ANON + NOT_SHOWN_THE_SETTLEMENT,
         allowed=("school_admin", "provider", "reviewer1"), state="billing_settlement"),
    Case("POST", "/api/v1/settlements/{settlement_id:int}/approve", ANON + NOT_SHOWN_THE_SETTLEMENT
         + refuse(*DENIED, "provider") + refuse(409, "settlement_state", "reviewer1", "decider"),
         allowed=("school_admin",), state="billing_settlement", body={"reason": "核对无误"}),
    Case("POST", "/api/v1/settlements/{settlement_id:int}/paid", ANON + NOT_SHOWN_THE_SETTLEMENT
         + refuse(403, "not_collector", "provider", "reviewer1", "decider"),
         allowed=("school_admin",), state="billing_approved", body={"reference": "BANK-2026-001"}),
    Case("GET", "/api/v1/counties/{code:str}/ledger", ANON + refuse(*DENIED, "parent", "provider", "school_admin", "police",
                                                                     "other_reviewer", "other_decider"),
         allowed=("reviewer1", "decider", "admin"), state="billing"),
    # the offline gateway: receipts recorded by hand, bank statements imported and matched by the school
    Case("POST", "/api/v1/bills/{bill_id:int}/offline-payments", ANON
         + refuse(403, "not_collector", "parent", "reviewer1", "decider")
         + refuse(*DENIED, "provider", "other_provider", "police") + refuse(*BILL_404, "other_reviewer", "other_decider",
                                                                            "other_school_admin"),
         allowed=("school_admin",), ok_status=201, state="billing",
         body={"bank_txn_id": "ICBC-20261124-0007", "amount_fen": 100, "paid_on": At("today"), "payer": "王女士"}),
    Case("POST", "/api/v1/schools/{school_id:int}/bank-statements", ANON
         + refuse(403, "statement_denied", "parent", "provider", "reviewer1", "police")
         + refuse(404, "school_not_found", "other_school_admin"),
         allowed=("school_admin",), state="billing", multipart={"file": ("流水.csv", BANK_CSV, "text/csv")}),
    Case("GET", "/api/v1/schools/{school_id:int}/bank-statements", ANON
         + refuse(403, "statement_denied", "parent", "provider", "police") + refuse(404, "school_not_found", "other_school_admin",
                                                                                    "other_reviewer"),
         allowed=("school_admin", "reviewer1", "admin"), state="billing"),
    Case("POST", "/api/v1/bank-statement-lines/{line_id:int}/match", ANON
         + refuse(403, "statement_denied", "parent", "provider", "reviewer1")
         + refuse(404, "statement_line_not_found", "other_school_admin"),
         allowed=("school_admin",), state="billing_unmatched", body={"bill_id": At("bill_id")}),
    # agreements: the parties read, sign, terminate and renew; county staff read their county's; county templates
    Case("GET", "/api/v1/agreements", ANON, allowed=("parent", "school_admin", "provider", "reviewer1", "police"),
         state="agreement"),
    Case("GET", "/api/v1/agreements/{agreement_id:int}", ANON + NOT_SHOWN_THE_AGREEMENT,
         allowed=("parent", "school_admin", "provider", "reviewer1", "decider"), state="agreement"),
    Case("GET", "/api/v1/agreements/{agreement_id:int}/pdf", ANON + NOT_SHOWN_THE_AGREEMENT,
         allowed=("parent", "school_admin", "provider", "reviewer1"), state="agreement"),
    Case("POST", "/api/v1/agreements/{agreement_id:int}/sign", ANON + NOT_SHOWN_THE_AGREEMENT
         + refuse(403, "not_a_party", "reviewer1", "decider"),
         allowed=("parent", "school_admin", "provider"), state="agreement", body={"pdf_sha256": At("pdf_sha256")}),
    Case("POST", "/api/v1/agreements/sign-pending", ANON + refuse(*DENIED, "parent", "reviewer1", "decider", "police", "admin"),
         allowed=("school_admin", "provider"), state="agreement", body={"kind": "tripartite"}),
    Case("POST", "/api/v1/agreements/{agreement_id:int}/terminate", ANON + NOT_SHOWN_THE_AGREEMENT
         + refuse(403, "decide_right_required", "reviewer1"),
         allowed=("school_admin", "parent", "provider", "decider"), state="agreement", body={"reason": "学生转学"}),
    Case("POST", "/api/v1/agreements/{agreement_id:int}/renew", ANON + NOT_SHOWN_THE_AGREEMENT
         + refuse(403, "renew_denied", "parent") + refuse(403, "not_a_party", "reviewer1", "decider"),
         allowed=("provider", "school_admin"), ok_status=201, state="agreement",
         body={"subject": "tripartite:renewed:2026-2027学年第二学期", "term_name": "2026-2027学年第二学期"}),
    Case("GET", "/api/v1/counties/{code:str}/agreement-templates", ANON
         + refuse(*DENIED, "provider", "parent", "school_admin", "police", "other_reviewer", "other_decider"),
         allowed=("reviewer1", "decider", "admin")),
    Case("POST", "/api/v1/counties/{code:str}/agreement-templates", ANON
         + refuse(*DENIED, "provider", "parent", "school_admin", "police", "other_decider", "admin")
         + refuse(403, "decide_right_required", "reviewer1"),
         allowed=("decider",), ok_status=201,
         body={"kind": "admission", "title": "准入协议", "body": "准入类别：{categories}；有效期：{period}。"}),
    # the exit mechanism: the county's steps, the provider's answers (tests/test_exits.py for the rules)
    Case("GET", "/api/v1/counties/{code:str}/exit-cases", ANON + refuse(*DENIED, "provider", "parent", "school_admin", "police",
                                                                         "other_reviewer"),
         allowed=("reviewer1", "decider", "admin"), state="exit_proposed"),
    Case("POST", "/api/v1/counties/{code:str}/exit-cases", ANON + refuse(*DENIED, "provider", "parent", "school_admin", "police",
                                                                          "other_reviewer", "admin"),
         allowed=("reviewer1",), ok_status=201, state="exit_admitted",
         body={"provider_id": At("provider_id"), "trigger": "violation", "grounds": ["academic_teaching"],
               "summary": "讲授数学新课"}),
    Case("GET", "/api/v1/providers/{provider_id:int}/exit-cases", ANON + refuse(*DENIED, "reviewer1", "parent", "school_admin")
         + refuse(*PROVIDER_404, "other_provider"), allowed=("provider",), state="exit_proposed"),
    Case("POST", "/api/v1/providers/{provider_id:int}/voluntary-exit", ANON
         + refuse(*DENIED, "reviewer1", "decider", "parent", "school_admin") + refuse(*PROVIDER_404, "other_provider"),
         allowed=("provider",), ok_status=201, state="exit_admitted",
         body={"county_code": COUNTY, "effective_on": At("notice_day"), "reason": "业务调整"}),
    Case("GET", "/api/v1/exit-cases/{case_id:int}", ANON + refuse(*DENIED, "parent", "school_admin", "police")
         + refuse(*EXIT_404, "other_provider", "other_reviewer"),
         allowed=("provider", "reviewer1", "decider", "admin"), state="exit_proposed"),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/warn", ANON + NOT_COUNTY_EXIT_STAFF, allowed=("reviewer1",),
         state="exit_proposed", body={"note": "限期整改"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/respond", ANON + NOT_THE_EXITING_PROVIDER, allowed=("provider",),
         state="exit_warned", body={"text": "已整改"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/suspend", ANON + NOT_COUNTY_EXIT_STAFF, allowed=("reviewer1",),
         state="exit_warned", body={"note": "暂停服务"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/close", ANON + refuse(*DENIED, "parent", "school_admin", "police")
         + refuse(*EXIT_404, "other_provider", "other_reviewer") + refuse(403, "exit_close_forbidden", "provider"),
         allowed=("reviewer1",), state="exit_warned", body={"note": "已整改到位"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/decide", ANON + NOT_COUNTY_EXIT_STAFF
         + refuse(403, "decide_right_required", "reviewer1"), allowed=("decider",), state="exit_suspended",
         body={"text": "决定清退"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/appeal", ANON + NOT_THE_EXITING_PROVIDER, allowed=("provider",),
         state="exit_decided", body={"text": "请求撤销"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/appeal-decision", ANON + NOT_COUNTY_EXIT_STAFF
         + refuse(403, "decide_right_required", "reviewer1") + refuse(403, "appeal_same_decider", "decider"),
         allowed=("reviewer_decider",), state="exit_appealed", body={"granted": False, "note": "维持清退"}),
    Case("POST", "/api/v1/exit-cases/{case_id:int}/finalise", ANON + NOT_COUNTY_EXIT_STAFF, allowed=("reviewer1",),
         state="exit_lapsed"),
    # the working-day calendar: national years by the platform admin, a county's local days by its decision-makers
    Case("PUT", "/api/v1/calendar/{year:int}", ANON
         + refuse(*DENIED, "decider", "reviewer1", "police", "provider", "parent", "school_admin"),
         allowed=("admin",), body={"status": "provisional", "reason": "国务院尚未公布", "days": []}),
    Case("PUT", "/api/v1/calendar/{year:int}/local/{region_code:str}", ANON
         + refuse(*DENIED, "other_decider", "police", "provider", "parent", "school_admin")
         + refuse(403, "decide_right_required", "reviewer1"),
         allowed=("decider",), body={"reason": "畲族三月三", "text": "2027-04-09,放假,三月三"}),
]


PUBLIC: list[PublicCase] = [
    PublicCase("POST", "/api/v1/auth/token", 201, body={"username": "parent", "password": PASSWORD}),
    PublicCase("POST", "/api/v1/providers/register", 201, body={
        "provider": PROVIDER_BODY | {"name": "拱墅科技馆", "uscc": uscc("52330105MJ0000009")},
        "username": "gongshu", "password": PASSWORD, "display_name": "科技馆管理员"}),
    PublicCase("GET", "/api/v1/regions"),
    PublicCase("GET", "/api/v1/calendar"),
    PublicCase("GET", "/api/v1/calendar/{year:int}"),
    PublicCase("GET", "/api/v1/counties/{code:str}/settings"),
    PublicCase("GET", "/api/v1/public/counties/{code:str}/whitelist"),
    PublicCase("GET", "/api/v1/public/counties/{code:str}/notices", state="public_notice"),
    PublicCase("GET", "/api/v1/public/counties/{code:str}/decisions"),
    PublicCase("POST", "/api/v1/public/applications/{app_id:int}/objections", 201, state="public_notice", body={
        "name": "赵六", "contact": "13900139000", "content": "该机构曾违规收费", "evidence": "2025年收据"}),
    PublicCase("GET", "/api/v1/public/fees/{school_id:int}", state="billing"),
    # no login; only the Stripe-Signature header counts (tests/test_payments_stripe.py); without keys the gateway is off
    PublicCase("POST", "/api/v1/payments/stripe/webhook", 404),
]


CASES += OUTCOME_CASES  # outcome reporting's rows: tests/outcome_rows/
PUBLIC += OUTCOME_PUBLIC


# --------------------------------------------------------------------------- setup


@pytest.fixture
def cast(world: World) -> World:
    """The world plus two departments: one the county does not require, one of the other county."""
    with world.ctx.db.write_session() as s:
        for key, county, department in (("culture", COUNTY, "culture_sports"),
                                        ("other_police", OTHER_COUNTY, "public_security")):
            world.users[key] = accounts.create_user(s, SYSTEM, username=key, display_name=key, password=PASSWORD,
                                                    role="department", county_code=county, department=department)
        other_school = world.school_ids["other_school"]
        for key, role in (("other_school_admin", "school_admin"), ("other_parent", "parent")):
            world.users[key] = accounts.create_user(s, SYSTEM, username=key, display_name=key, password=PASSWORD, role=role,
                                                    county_code=OTHER_COUNTY, school_id=other_school)
    return world


@pytest.fixture
def tokens(cast: World) -> dict[str, dict[str, str]]:
    """Bearer headers for every actor, issued directly (logging in would add audit entries)."""
    with cast.ctx.db.write_session() as s:
        headers = {key: {"Authorization": f"Bearer {accounts.issue_token(s, user, name='tests')}"}
                   for key, user in cast.users.items()}
    return headers | {"anonymous": {}}


def application_in(world: World, state: str, scorers: tuple[str, str] = ("reviewer1", "reviewer_decider")) -> dict[str, int]:
    """An application of ``provider`` to COUNTY, driven through the services to ``state``.

    States in order: draft, submitted (or returned, or blocked: the provider's
    insurance rejected and vetting run, ``fingerprint`` its blocking finding),
    expert_review, scored (by ``scorers``), joint_signoff (public security
    required) or public_notice (or objection: one filed), notice_ended,
    awaiting_decision.
    """
    ctx = world.ctx
    who = world.actor

    def step(fn: Any) -> Any:
        with ctx.db.write_session() as s:
            return fn(s)

    app_id = step(lambda s: admission.create(ctx, s, who("provider"), county_code=COUNTY, categories=["阅读"],
                                             statement="少儿阅读推广").id)
    ids = {"app_id": app_id}
    if state == "draft":
        return ids
    step(lambda s: admission.submit(s, who("provider"), app_id))
    if state == "returned":
        step(lambda s: admission.return_for_info(s, who("reviewer1"), app_id, message="请补充场地安全说明"))
    if state == "blocked":
        ids["fingerprint"] = step(lambda s: blocking_finding(world, s, app_id))
    if state in ("submitted", "returned", "blocked"):
        return ids
    review_documents(world, "provider")
    if state == "documents_reviewed":  # the materials may be accepted now
        return ids
    step(lambda s: admission.accept_materials(s, who("reviewer1"), app_id))
    if state == "expert_review":
        return ids
    for scorer in scorers:
        step(lambda s, scorer=scorer: review.score(ctx, s, who(scorer), app_id, scores=SCORES))
    if state == "scored":
        return ids
    if state == "joint_signoff":
        step(lambda s: policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="admission.joint_departments",
                                  value=["public_security"], effective_from=clock.today_local(), reason="公安联审"))
    app = step(lambda s: review.finish_review(ctx, s, who("reviewer1"), app_id))
    if state == "objection":
        ids["objection_id"] = step(lambda s: notice.file_objection(
            s, world.actor("parent"), app_id, name="赵六", contact="13900139000", content="曾违规收费", evidence="收据").id)
    if state in ("joint_signoff", "public_notice", "objection"):
        return ids
    clock.advance(dt.timedelta(days=(app.notice_end - clock.today_local()).days + 1))
    if state == "notice_ended":
        return ids
    step(lambda s: notice.close_notice(s, who("reviewer1"), app_id))
    assert state == "awaiting_decision", state
    return ids


def privacy_in(world: World, state: str) -> dict[str, Any]:
    """The catalogue's child of ``parent`` (privacy); the parent's showcase consent given (privacy_consented), or a
    correction asked about the child (privacy_request)."""
    from kehou.platform.privacy import consent, requests

    values = catalogue_in(world, "catalogue") | {"consent_scope": "showcase"}
    with world.ctx.db.write_session() as s:
        if state == "privacy_consented":
            consent.give(s, world.actor("parent"), "showcase")
        if state == "privacy_request":
            values["request_id"] = requests.ask(world.ctx, s, world.actor("parent"), values["student_id"], kind="correct",
                                                detail="班级应为3年级2班").id
    return values


def catalogue_in(world: World, state: str) -> dict[str, Any]:
    """The catalogue in COUNTY: ``provider`` admitted, two courses on a published menu of ``school``
    and a child of ``parent`` (catalogue); or a pending offering (catalogue_pending), a draft menu
    (catalogue_draft), the child enrolled (catalogue_enrolled), the clock on the day of its first
    lesson (catalogue_lesson_day) or that lesson's attendance recorded (catalogue_marked)."""
    from kehou.plugins.course_catalogue import enrolment, lessons
    from kehou.plugins.course_catalogue.models import Lesson
    from kehou.timeutil import SHANGHAI
    from tests import catalogue_setup as cs

    ctx = world.ctx
    values: dict[str, Any] = {"school_id": world.school_ids["school"], "staff_id": cs.staff_id(world, "provider")}
    if state in ("catalogue_ranked", "catalogue_closed", "catalogue_allocated"):
        from kehou.plugins.course_catalogue.lottery import choices, runs

        cat = cs.ready(world, selection_mode="ranked_lottery")
        values |= {"menu_id": cat.menu_id, "entry_id": cat.entries["calligraphy"], "student_id": cat.students["xiaoming"]}
        with ctx.db.write_session() as s:
            choices.save(ctx, s, world.actor("parent"), values["student_id"], cat.menu_id, [values["entry_id"]])
        if state == "catalogue_ranked":
            return values
        clock.advance(dt.timedelta(days=3))  # the window is over
        if state == "catalogue_allocated":
            with ctx.db.write_session() as s:
                values["run_id"] = runs.run(ctx, s, world.actor("school_admin"), cat.menu_id).id
        return values
    if state == "catalogue_draft":
        cs.enable_catalogue(world)
        cs.admit(world, "provider")
        values["menu_id"] = cs.menu(world)
        values["entry_id"] = cs.place(world, values["menu_id"], cs.offering(world, "provider"), [(0, "16:00")])
        return values
    cat = cs.ready(world)
    sid, entry = cat.students["xiaoming"], cat.entries["calligraphy"]
    values |= {"menu_id": cat.menu_id, "entry_id": entry, "student_id": sid}
    with ctx.db.read_session() as s:
        from kehou.plugins.course_catalogue.models import Entry

        values["offering_id"] = s.get(Entry, entry).offering_id
        first = s.scalars(select(Lesson).where(Lesson.entry_id == entry).order_by(Lesson.day)).first()
        values["lesson_id"] = first.id
    if state == "catalogue_pending":
        with ctx.db.write_session() as s:
            policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key="catalogue.offering_approval", value=True,
                       effective_from=clock.today_local(), reason="课程须审核")
        values["offering_id"] = cs.offering(world, "provider", "少儿围棋", category="体育艺术", approve=False)
        return values
    if state == "catalogue":
        return values
    with ctx.db.write_session() as s:
        enrolment.enroll(ctx, s, world.actor("parent"), sid, entry)
    values["into_id"] = cs.place(world, cat.menu_id, values["offering_id"], [(3, "16:00")], venue="书法教室二")
    if state == "catalogue_enrolled":
        return values
    cs.sign_service(world, entry)  # the service agreement, without which no lesson starts
    target = dt.datetime.combine(first.day, dt.time(15, 50), tzinfo=SHANGHAI)
    clock.advance(target - clock.now())
    if state == "catalogue_lesson_day":
        return values
    with ctx.db.write_session() as s:
        lessons.mark(s, world.actor("school_admin"), values["lesson_id"],
                     [lessons.Mark(sid, "absent" if state == "catalogue_no_show" else "present")])
    if state == "catalogue_no_show":  # one unexplained absence is enough here: the family is warned
        from kehou.plugins.course_catalogue import noshow
        from kehou.plugins.course_catalogue.models import NoShowCase

        for key, value in (("catalogue.no_show_release", True), ("catalogue.no_show_absences", 1)):
            with ctx.db.write_session() as s:
                policy.put(s, ctx.registry, ADMIN, scope=COUNTY, key=key, value=value, effective_from=clock.today_local(),
                           reason="未到课释放名额")
        assert noshow.sweep(ctx)["warned"] == 1
        with ctx.db.read_session() as s:
            values["case_id"] = s.scalars(select(NoShowCase.id)).one()
        return values
    assert state == "catalogue_marked", state
    return values


def billing_in(world: World, state: str) -> dict[str, Any]:
    """Billing in COUNTY on the catalogue of ``catalogue_enrolled``: the term bill issued (billing);
    the first lesson delivered and marked, the clock the day after (billing_delivered); its settlement
    drafted (billing_settlement) or approved by the school and the county (billing_approved); or the
    clock after the term's end (billing_term_over)."""
    from kehou.plugins.billing_cap import settlement
    from kehou.plugins.billing_cap.models import Bill
    from kehou.timeutil import SHANGHAI
    from tests import billing_setup as bs

    values = catalogue_in(world, "catalogue_enrolled")
    bs.enable(world)
    values["term_name"] = bs.term_name(world, values["menu_id"])
    bs.issue(world, values["menu_id"])
    with world.ctx.db.read_session() as s:
        values["bill_id"] = s.scalars(select(Bill.id)).one()
    values["today"] = clock.today_local().isoformat()
    if state == "billing":
        return values
    if state == "billing_unmatched":  # a bank statement line quoting no bill
        from kehou.plugins.payments_offline import services as offline

        with world.ctx.db.write_session() as s:
            offline.import_statement(s, world.actor("school_admin"), values["school_id"], filename="流水.csv", data=BANK_CSV)
            values["line_id"] = offline.lines_of_school(s, world.actor("school_admin"), values["school_id"], unmatched=True)[0].id
        return values
    if state == "billing_term_over":
        clock.advance(dt.datetime(2027, 2, 2, 12, tzinfo=SHANGHAI) - clock.now())
        return values
    lesson_id, day = bs.lesson_days(world, values["entry_id"])[0]
    bs.deliver(world, lesson_id, {values["student_id"]: "present"})
    clock.advance(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(9), tzinfo=SHANGHAI) - clock.now())
    values |= {"period_start": day.isoformat(), "period_end": day.isoformat()}
    if state == "billing_delivered":
        return values
    with world.ctx.db.write_session() as s:
        row = settlement.draft(world.ctx, s, world.actor("school_admin"), values["school_id"], day, day)[0]
        values["settlement_id"] = row.id
    if state == "billing_settlement":
        return values
    with world.ctx.db.write_session() as s:
        settlement.approve(s, world.actor("school_admin"), row.id)
    with world.ctx.db.write_session() as s:
        settlement.approve(s, world.actor("decider"), row.id)
    assert state == "billing_approved", state
    return values


def exit_in(world: World, state: str) -> dict[str, Any]:
    """``provider`` admitted in COUNTY (exit_admitted), and an exit case against it driven through the
    services: proposed, warned, suspended (after its response), decided, appealed, or decided with
    the appeal window lapsed (exit_lapsed)."""
    from kehou.platform.exits import services as exits
    from tests import catalogue_setup as cs

    ctx, who = world.ctx, world.actor
    cs.admit(world, "provider")
    values: dict[str, Any] = {"notice_day": (clock.today_local() + dt.timedelta(days=45)).isoformat()}
    if state == "exit_admitted":
        return values

    def step(fn: Any) -> Any:
        with ctx.db.write_session() as s:
            return fn(s)

    values["case_id"] = case_id = step(lambda s: exits.propose(
        ctx, s, who("reviewer1"), county_code=COUNTY, provider_id=world.provider_ids["provider"], trigger="violation",
        grounds=["academic_teaching"], summary="讲授数学新课").id)
    order = ["exit_proposed", "exit_warned", "exit_suspended", "exit_decided", "exit_appealed"]
    if state == "exit_proposed":
        return values
    step(lambda s: exits.warn(ctx, s, who("reviewer1"), case_id, note="限期整改"))
    if state == "exit_warned":
        return values
    step(lambda s: exits.respond(s, who("provider"), case_id, response="已整改"))
    step(lambda s: exits.suspend(ctx, s, who("reviewer1"), case_id, note="暂停服务"))
    if state == "exit_suspended":
        return values
    step(lambda s: exits.decide(ctx, s, who("decider"), case_id, decision="决定清退"))
    if state == "exit_lapsed":
        clock.advance(dt.timedelta(days=16))
        return values
    if state == "exit_decided":
        return values
    step(lambda s: exits.appeal(ctx, s, who("provider"), case_id, text="请求撤销"))
    assert state == order[-1], state
    return values


def agreement_in(world: World, state: str) -> dict[str, Any]:
    """A tripartite agreement in COUNTY, unsigned: ``school``, the guardian ``parent`` of a child there and
    ``provider`` (agreement)."""
    from kehou.platform.agreements import services as agreements
    from tests import catalogue_setup as cs

    assert state == "agreement", state
    kid = cs.child(world, "李小明")
    parties = [agreements.Party("school", str(world.school_ids["school"]), "西湖小学"),
               agreements.Party("parent", str(kid), "王芳（学生李小明的监护人）"),
               agreements.Party("provider", str(world.provider_ids["provider"]), "西湖青少年美术中心")]
    with world.ctx.db.write_session() as s:
        a = agreements.ensure(world.ctx, s, world.actor("school_admin"), kind="tripartite", county_code=COUNTY,
                              subject=f"tripartite:{kid}:2026-2027学年第一学期", parties=parties, values=AGREEMENT_VALUES,
                              term_name="2026-2027学年第一学期")
        s.commit()
        return {"agreement_id": a.id, "pdf_sha256": a.pdf_sha256}


def blocking_finding(world: World, s: Any, app_id: int) -> str:
    """Reject the provider's insurance, vet the application now; the fingerprint of the block that follows."""
    ctx = world.ctx
    insurance = s.scalars(select(Document.id).where(Document.provider_id == world.provider_ids["provider"],
                                                   Document.doc_type == "insurance")).one()
    documents.review(ctx, s, world.actor("reviewer1"), insurance, accepted=False, note="保单已过期")
    run = vetting.new_run(s, provider_id=world.provider_ids["provider"], county_code=COUNTY, trigger="on_demand",
                          application_id=app_id)
    findings = vetting.execute(ctx, s, run)
    s.commit()
    block = next(f for f in findings if f.rule == "required_documents" and f.verdict is Verdict.block)
    assert block.evidence["doc_type"] == "insurance", block
    return block.fingerprint


def prepare(world: World, state: str | None, route: str = "") -> dict[str, Any]:
    """Values for the route's path parameters (and for ``At`` in request bodies)."""
    pid = world.provider_ids["provider"]
    values: dict[str, Any] = {"code": COUNTY, "key": SETTING_KEY, "provider_id": pid, "year": 2027,
                              "region_code": COUNTY}
    if state is not None and state.startswith("catalogue"):
        values |= catalogue_in(world, state)
    elif state is not None and state.startswith("billing"):
        values |= billing_in(world, state)
    elif state is not None and state.startswith("agreement"):
        values |= agreement_in(world, state)
    elif state is not None and state.startswith("exit"):
        values |= exit_in(world, state)
    elif state is not None and state.startswith("outcome"):
        values |= outcome_prepare(world, state)
    elif state is not None and state.startswith("privacy"):
        values |= privacy_in(world, state)
    elif state is not None:
        values |= application_in(world, state)
        with world.ctx.db.read_session() as s:
            status = s.get(Application, values["app_id"]).status
        expected = {"scored": "expert_review", "notice_ended": "public_notice", "objection": "public_notice",
                    "blocked": "submitted", "documents_reviewed": "submitted"}
        assert status == expected.get(state, state)
    if "{document_id:" in route:  # the provider's insurance policy, as uploaded
        with world.ctx.db.read_session() as s:
            values["document_id"] = s.scalars(select(Document.id).where(
                Document.provider_id == pid, Document.doc_type == "insurance")).one()
    if "/blacklist/{entry_id:" in route:  # an entry of the county's blacklist (an organisation unrelated to the providers)
        with world.ctx.db.write_session() as s:
            blacklist.import_file(world.ctx, s, world.actor("decider"), COUNTY, filename="黑名单.csv", data=BLACKLIST_CSV)
            values["entry_id"] = s.scalars(select(BlacklistEntry.id).where(BlacklistEntry.county_code == COUNTY)).one()
    return values


def resolve(body: Any, values: dict[str, Any]) -> Any:
    """The body with every ``At`` (at any depth) replaced by its value."""
    if isinstance(body, At):
        return values[body.name]
    if isinstance(body, dict):
        return {k: resolve(v, values) for k, v in body.items()}
    if isinstance(body, list):
        return [resolve(v, values) for v in body]
    return body


def url(route: str, values: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: str(values[m.group(1)]), route)


def audit_count(world: World) -> int:
    with world.ctx.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def call(client: Any, method: str, path: str, headers: dict[str, str], body: Any = None,
         params: dict[str, str] | None = None, multipart: dict[str, Any] | None = None) -> Any:
    kwargs: dict[str, Any] = {"headers": headers, "params": params or {}}
    if multipart is not None:
        kwargs["files"] = {k: v for k, v in multipart.items() if isinstance(v, tuple)}
        kwargs["data"] = {k: v for k, v in multipart.items() if not isinstance(v, tuple)}
    elif body is not None:
        kwargs["json"] = body
    elif method in ("POST", "PUT"):
        kwargs["json"] = {}
    return client.request(method, path, **kwargs)


# --------------------------------------------------------------------------- coverage


def _api_routes(ctx: Any) -> set[tuple[str, str]]:
    app = create_app(ctx.settings, context=ctx)
    return {(m, r.path) for r in app.routes if r.path.startswith("/api/")
            for m in getattr(r, "methods", ()) if m not in ("OPTIONS", "HEAD")}


def test_every_api_route_is_in_the_table(ctx) -> None:
    routes = _api_routes(ctx)
    keys = [c.key for c in CASES] + [p.key for p in PUBLIC]
    assert len(keys) == len(set(keys)), "a route is listed twice"
    missing = sorted(routes - set(keys), key=lambda k: k[1])
    stale = sorted(set(keys) - routes, key=lambda k: k[1])
    assert not missing, f"endpoints without a permission row in tests/test_permissions.py: {missing}"
    assert not stale, f"rows for endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_row_refuses_anonymous_and_is_consistent(case: Case) -> None:
    """Every non-public endpoint answers 401 to anonymous callers; nobody is both refused and allowed."""
    assert Refusal("anonymous", 401, "not_authenticated") in case.refused
    assert len({r.who for r in case.refused}) == len(case.refused), "an actor is listed twice"
    assert not set(case.allowed) & {r.who for r in case.refused}


# --------------------------------------------------------------------------- the table, run


@pytest.mark.parametrize("case", CASES, ids=str)
def test_refused(case: Case, client, cast: World, tokens) -> None:
    values = prepare(cast, case.state, case.route)
    path = url(case.route, values)
    body = resolve(case.body, values)
    wrong, known = [], []
    for refusal in case.refused:
        before = audit_count(cast)
        resp = call(client, case.method, path, tokens[refusal.who], body, case.params, case.multipart)
        got = resp.json().get("error", {}) if resp.headers.get("content-type", "").startswith("application/json") else {}
        if (resp.status_code, got.get("code")) != (refusal.status, refusal.code) or not got.get("message"):
            (known if refusal.bug else wrong).append(f"{refusal}: got {resp.status_code} {resp.text[:200]}")
        elif audit_count(cast) != before:
            wrong.append(f"{refusal}: refused, but wrote to the audit log")
        elif refusal.bug:
            wrong.append(f"{refusal}: now refused as it should be; remove bug= ({refusal.bug})")
    assert not wrong, f"{case}:\n" + "\n".join(wrong)
    # the same request succeeds for those who may use it (read-only: all of them; else the first)
    for who in case.allowed if case.method == "GET" else case.allowed[:1]:
        resp = call(client, case.method, path, tokens[who], body, case.params, case.multipart)
        assert resp.status_code == case.ok_status, f"{case} as {who}: {resp.status_code} {resp.text}"
    if known:
        pytest.xfail("known bug: " + "; ".join(f"{r} {r.bug}" for r in case.refused if r.bug))


@pytest.mark.parametrize("case", PUBLIC, ids=str)
def test_public_endpoint_needs_no_login(case: PublicCase, client, world: World) -> None:
    values = prepare(world, case.state)
    resp = call(client, case.method, url(case.route, values), {}, case.body)
    assert resp.status_code == case.ok_status, resp.text


# --------------------------------------------------------------------------- rules in detail


def test_parent_and_school_admin_see_no_applications(client, cast: World, tokens) -> None:
    aid = prepare(cast, "submitted")["app_id"]
    for who in ("parent", "school_admin"):
        assert ok(client.get("/api/v1/applications", headers=tokens[who])) == []
        err(client.get(f"/api/v1/applications/{aid}", headers=tokens[who]), 404, "application_not_found")


def test_application_lists_are_scoped_to_county_and_provider(client, cast: World, tokens) -> None:
    mine = prepare(cast, "submitted")["app_id"]
    with cast.ctx.db.write_session() as s:
        theirs = admission.create(cast.ctx, s, cast.actor("other_provider"), county_code=OTHER_COUNTY,
                                  categories=["科普"], statement="").id

    def listed(who: str) -> list[int]:
        return sorted(a["id"] for a in ok(client.get("/api/v1/applications", headers=tokens[who])))

    assert listed("provider") == [mine]
    assert listed("other_provider") == [theirs]
    assert listed("reviewer1") == listed("decider") == listed("police") == [mine]
    assert listed("other_reviewer") == [theirs]
    assert listed("other_police") == [theirs]
    assert listed("admin") == sorted([mine, theirs])
    err(client.get(f"/api/v1/applications/{theirs}", headers=tokens["provider"]), 404, "application_not_found")
    err(client.get(f"/api/v1/applications/{mine}", headers=tokens["other_provider"]), 404, "application_not_found")


def test_reviewer_without_review_notes_and_provider_without_reviews(client, cast: World, tokens) -> None:
    aid = prepare(cast, "scored")["app_id"]
    for who in ("decider", "police"):
        body = ok(client.get(f"/api/v1/applications/{aid}", headers=tokens[who]))
        assert body["reviews"] and all("internal_note" not in r for r in body["reviews"])
    body = ok(client.get(f"/api/v1/applications/{aid}", headers=tokens["provider"]))
    assert "reviews" not in body and "objections" not in body


def test_only_a_decider_who_did_not_score_may_approve(client, cast: World, tokens) -> None:
    """The four-eyes rule is about having scored, not about holding both rights."""
    scored = application_in(cast, "awaiting_decision", scorers=("reviewer1", "reviewer_decider"))["app_id"]
    err(client.post(f"/api/v1/applications/{scored}/approve", headers=tokens["reviewer_decider"], json={}),
        403, "reviewer_cannot_decide")
    assert ok(client.post(f"/api/v1/applications/{scored}/approve", headers=tokens["decider"], json={}))["status"] == "approved"

    # a renewal, scored by two plain reviewers: now reviewer_decider may decide alone
    renewal = application_in(cast, "awaiting_decision", scorers=("reviewer1", "reviewer2"))["app_id"]
    err(client.post(f"/api/v1/applications/{renewal}/approve", headers=tokens["reviewer1"], json={}),
        403, "decide_right_required")
    approved = ok(client.post(f"/api/v1/applications/{renewal}/approve", headers=tokens["reviewer_decider"], json={}))
    assert approved["status"] == "approved" and approved["kind"] == "renewal"


def test_unknown_objection_and_foreign_objection_look_alike(client, cast: World, tokens) -> None:
    oid = prepare(cast, "objection")["objection_id"]
    body = {"answer": "不成立", "upheld": False}
    foreign = err(client.post(f"/api/v1/objections/{oid}/answer", headers=tokens["other_reviewer"], json=body),
                  404, "objection_not_found")
    missing = err(client.post(f"/api/v1/objections/{oid + 999}/answer", headers=tokens["other_reviewer"], json=body),
                  404, "objection_not_found")
    assert foreign == missing


def test_who_may_create_whom(client, cast: World, tokens) -> None:
    serial = itertools.count()

    def new(who: str, **kw: Any) -> Any:
        body = {"username": f"new_user_{next(serial)}", "display_name": "新用户", "password": PASSWORD} | kw
        return client.post("/api/v1/users", headers=tokens[who], json=body)

    # county decision-makers: staff, departments and school admins of their own county only
    err(new("decider", role="county_staff", county_code=OTHER_COUNTY), 403, "permission_denied")
    err(new("decider", role="platform_admin"), 403, "user_create_denied")
    err(new("decider", role="provider", provider_id=cast.provider_ids["other_provider"]), 403, "user_create_denied")
    err(new("decider", role="parent", county_code=COUNTY, school_id=cast.school_ids["school"]), 403, "user_create_denied")
    err(new("decider", role="school_admin", county_code=COUNTY, school_id=cast.school_ids["other_school"]),
        404, "school_not_found")
    # providers: users of their own provider only
    err(new("provider", role="provider", provider_id=cast.provider_ids["other_provider"]), 403, "user_create_denied")
    err(new("provider", role="county_staff", county_code=COUNTY), 403, "user_create_denied")
    # school admins: parents of their own school, in their own county
    err(new("school_admin", role="parent", county_code=OTHER_COUNTY, school_id=cast.school_ids["other_school"]),
        403, "user_create_denied")
    err(new("school_admin", role="parent", county_code=OTHER_COUNTY, school_id=cast.school_ids["school"]),
        403, "user_create_denied")
    err(new("school_admin", role="school_admin", county_code=COUNTY, school_id=cast.school_ids["school"]),
        403, "user_create_denied")
    # parents and departments create no one
    err(new("parent", role="parent", county_code=COUNTY, school_id=cast.school_ids["school"]), 403, "user_create_denied")
    err(new("police", role="department", county_code=COUNTY, department="health"), 403, "user_create_denied")
    # what each may do, for contrast
    ok(new("school_admin", role="parent", county_code=COUNTY, school_id=cast.school_ids["school"]), 201)
    ok(new("provider", role="provider", provider_id=cast.provider_ids["provider"]), 201)
    ok(new("decider", role="school_admin", county_code=COUNTY, school_id=cast.school_ids["school"]), 201)


def test_provider_cannot_touch_another_provider(client, cast: World, tokens) -> None:
    other = cast.provider_ids["other_provider"]
    h = tokens["provider"]
    err(client.get(f"/api/v1/providers/{other}", headers=h), 404, "provider_not_found")
    err(client.get(f"/api/v1/providers/{other}/staff", headers=h), 404, "provider_not_found")
    err(client.put(f"/api/v1/providers/{other}", headers=h, json=PROVIDER_BODY | {"uscc": uscc("52330108MJ0000002")}),
        404, "provider_not_found")
    err(client.post(f"/api/v1/providers/{other}/staff", headers=h, json=STAFF_BODY), 403, "provider_mismatch")
    err(client.post(f"/api/v1/providers/{other}/users", headers=h,
                    json={"username": "intruder", "display_name": "x", "password": PASSWORD}), 403, "user_create_denied")
    assert ok(client.get(f"/api/v1/providers/{other}/staff", headers=tokens["other_provider"]))[0]["name"] == "王老师"


def test_county_staff_see_a_provider_only_once_it_applied_in_their_county(client, cast: World, tokens) -> None:
    pid = cast.provider_ids["provider"]
    err(client.get(f"/api/v1/providers/{pid}", headers=tokens["reviewer1"]), 404, "provider_not_found")
    prepare(cast, "submitted")
    ok(client.get(f"/api/v1/providers/{pid}", headers=tokens["reviewer1"]))
    err(client.get(f"/api/v1/providers/{pid}", headers=tokens["other_reviewer"]), 404, "provider_not_found")


def test_settings_only_for_own_county(client, cast: World, tokens) -> None:
    body = {"value": 70, "reason": "提高合格线"}
    for scope in (OTHER_COUNTY, COUNTY[:4], COUNTY[:2]):  # another county, the city, the province
        err(client.put(f"/api/v1/counties/{scope}/settings/{SETTING_KEY}", headers=tokens["decider"], json=body),
            403, "permission_denied")
    ok(client.put(f"/api/v1/counties/{OTHER_COUNTY}/settings/{SETTING_KEY}", headers=tokens["other_decider"], json=body))
    theirs = {s["key"]: s["value"] for s in ok(client.get(f"/api/v1/counties/{OTHER_COUNTY}/settings"))}
    mine = {s["key"]: s["value"] for s in ok(client.get(f"/api/v1/counties/{COUNTY}/settings"))}
    assert theirs[SETTING_KEY] == 70 and mine[SETTING_KEY] == 60


def test_audit_log_of_another_county_is_refused(client, cast: World, tokens) -> None:
    err(client.get("/api/v1/audit", headers=tokens["decider"], params={"county": OTHER_COUNTY}), 403, "permission_denied")
    err(client.get("/api/v1/audit", headers=tokens["decider"], params={"county": ""}), 403, "permission_denied")
    ok(client.get("/api/v1/audit", headers=tokens["admin"], params={"county": OTHER_COUNTY}))


def test_school_admin_sees_only_own_school(client, cast: World, tokens) -> None:
    schools = ok(client.get(f"/api/v1/counties/{COUNTY}/schools", headers=tokens["school_admin"]))
    assert [s["id"] for s in schools] == [cast.school_ids["school"]]
    err(client.get(f"/api/v1/counties/{OTHER_COUNTY}/schools", headers=tokens["school_admin"]), 403, "permission_denied")


def test_notifications_are_private(client, cast: World, tokens) -> None:
    with cast.ctx.db.write_session() as s:
        s.add(Notification(user_id=cast.users["provider"].id, title="审核结果", body="已准入", link="", created_at=utcnow()))
        s.commit()
    assert [n["title"] for n in ok(client.get("/api/v1/notifications", headers=tokens["provider"]))] == ["审核结果"]
    for who in ("other_provider", "reviewer1", "admin"):
        assert ok(client.get("/api/v1/notifications", headers=tokens[who])) == []


def test_revoked_and_bad_tokens_are_anonymous(client, cast: World, tokens) -> None:
    h = tokens["provider"]
    ok(client.get("/api/v1/me", headers=h))
    assert client.delete("/api/v1/auth/token", headers=h).status_code == 204
    err(client.get("/api/v1/me", headers=h), 401, "not_authenticated")
    err(client.get("/api/v1/me", headers={"Authorization": "Bearer kh_forged"}), 401, "not_authenticated")


def test_login_refuses_wrong_password_and_unknown_user(client, cast: World) -> None:
    err(client.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD + "x"}), 401, "login_failed")
    err(client.post("/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD}), 401, "login_failed")


def test_public_objection_only_while_notice_runs(client, cast: World) -> None:
    aid = prepare(cast, "submitted")["app_id"]
    body = {"name": "赵六", "contact": "13900139000", "content": "异议", "evidence": "证据"}
    err(client.post(f"/api/v1/public/applications/{aid}/objections", json=body), 409, "notice_not_running")
