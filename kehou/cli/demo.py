"""Demo data: one city with three counties, 40 schools in one of them, about 20
providers in every state of the admission workflow, their staff, and notices in
progress. Everything goes through the real services, so the audit log is real."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kehou.errors import Conflict
from kehou.platform.accounts import services as accounts
from kehou.platform.accounts.models import User
from kehou.platform.actor import Actor
from kehou.platform.admission import decision, notice, review
from kehou.platform.admission import services as admission
from kehou.platform.context import Context
from kehou.platform.counties import services as counties
from kehou.platform.documents import services as documents
from kehou.platform.policy import services as policy
from kehou.platform.providers import services as providers
from kehou.platform.providers.identifiers import resident_id_check_char, uscc_check_char
from kehou.timeutil import clock
from kehou.vetting import monitor
from kehou.vetting import services as vetting
from kehou.vetting.rules.defaults import REQUIRED_TYPES

PASSWORD = "Kehou-demo-2026"
CREDENTIALS_NOTE = f"""演示账号（密码均为 {PASSWORD}）：
  admin            平台管理员
  xh_reviewer1/2   西湖区教育局审核人员（评审）
  xh_decider       西湖区教育局决定人员
  xh_police        西湖区公安部门（联审）
  bj_reviewer      滨江区教育局审核人员
  school01         西湖区第1小学管理员
  parent01         家长（两个孩子，可选课）
  org01 … org22    第三方机构（各种申请状态）"""

CITY, MAIN, SECOND, THIRD = "330100", "330106", "330108", "330110"
SYSTEM = Actor.system("demo")

SCHOOL_KINDS = ["primary"] * 26 + ["junior"] * 10 + ["nine_year"] * 4
KIND_NAMES = {"primary": "小学", "junior": "初级中学", "nine_year": "九年一贯制学校"}

PROVIDERS = [  # name, org type, categories, target state
    ("西湖少儿书画院", "private_non_enterprise", ["优秀传统文化"], "approved"),
    ("杭州青少年足球俱乐部", "private_non_enterprise", ["体育艺术"], "approved"),
    ("西湖区青少年宫", "public_institution", ["体育艺术", "科普"], "approved"),
    ("浙江自然博物院科普部", "public_institution", ["科普"], "approved"),
    ("之江围棋社", "private_non_enterprise", ["优秀传统文化", "社团兴趣"], "approved"),
    ("钱塘心理健康服务中心", "private_non_enterprise", ["心理健康"], "public_notice"),
    ("湖畔少儿合唱团", "private_non_enterprise", ["体育艺术"], "public_notice"),
    ("杭州劳动实践教育基地", "enterprise", ["劳动实践"], "public_notice"),
    ("西溪阅读推广会", "private_non_enterprise", ["阅读"], "awaiting_decision"),
    ("小小机器人科技有限公司", "enterprise", ["科普"], "awaiting_decision"),
    ("龙井茶艺传习所", "individual", ["优秀传统文化"], "joint_signoff"),
    ("杭州武术协会培训部", "private_non_enterprise", ["体育艺术"], "expert_review"),
    ("创客空间科技有限公司", "enterprise", ["科普", "社团兴趣"], "expert_review"),
    ("西湖舞蹈艺术中心", "private_non_enterprise", ["体育艺术"], "returned"),
    ("童心绘本馆", "individual", ["阅读"], "returned"),
    ("翠苑篮球训练营", "enterprise", ["体育艺术"], "submitted"),
    ("星空天文科普社", "private_non_enterprise", ["科普"], "submitted"),
    ("某某学科辅导有限公司", "enterprise", ["阅读"], "rejected"),
    ("快乐作文工作室", "individual", ["阅读"], "rejected"),
    ("古琴雅集", "individual", ["优秀传统文化"], "withdrawn"),
    ("陶艺手作坊", "enterprise", ["劳动实践"], "draft"),
    ("轮滑运动俱乐部", "enterprise", ["体育艺术"], "draft"),
]

GOOD = {"qualification": 21, "curriculum": 25, "staff": 20, "safety": 17}
POOR = {"qualification": 10, "curriculum": 8, "staff": 9, "safety": 8}

SCOPE = "开展体育、艺术、传统文化、劳动实践、心理健康、科普、阅读及兴趣社团等非学科类培训服务"
#: Providers whose insurance ends early (days after their documents were uploaded, a month ago): No. 2's
#: ends in about 20 days (a warning), No. 5's ended 10 days ago (suspended until a new policy is accepted).
#: Both were let through at approval by a decision-maker's override, with a reason.
SHORT_INSURANCE = {2: 50, 5: 20}


def _pdf(tag: str) -> bytes:
    """A one-page PDF standing for a scanned document (uploads must open as PDFs)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": f"kehou demo {tag}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _upload_documents(
    ctx: Context, s: Session, me: Actor, provider_id: int, org_type: str, staff_ids: list[int], n: int
) -> list[int]:
    today = clock.today_local()
    metas = []
    for doc_type in REQUIRED_TYPES[org_type]:
        days = SHORT_INSURANCE.get(n, 900) if doc_type == "insurance" else 900
        until = today + dt.timedelta(days=days)
        metas.append(documents.DocumentInput(doc_type, number=f"{doc_type[:3].upper()}-{n:04d}", issuer="杭州市西湖区行政审批局",
                                             valid_from=today - dt.timedelta(days=200), valid_to=until, scope_text=SCOPE))
    for sid in staff_ids:
        metas.append(documents.DocumentInput("qualification_certificate", number=f"ZY{n:03d}", staff_id=sid))
        metas.append(documents.DocumentInput("criminal_record_certificate", number=f"WF{sid:04d}", staff_id=sid,
                                             valid_from=today - dt.timedelta(days=40)))
    return [documents.upload(ctx, s, me, provider_id, m, filename=f"{m.doc_type}.pdf",
                             data=_pdf(f"{provider_id}-{m.doc_type}-{m.staff_id}"))[0].id for m in metas]


def _uscc(org_type: str, n: int) -> str:
    prefix = {"enterprise": "91330106MA", "private_non_enterprise": "52330106MJ", "public_institution": "12330106MB",
              "individual": "92330106MA"}[org_type]
    body = f"{prefix}{n:07d}"
    return body + uscc_check_char(body)


def _id(n: int) -> str:
    body = f"3301061985{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + resident_id_check_char(body)


def _user(session: Session, username: str, name: str, **kw: Any) -> User:
    return accounts.create_user(session, SYSTEM, username=username, display_name=name, password=PASSWORD, **kw)


def provisional_calendar(session: Session) -> None:
    """This year and next, where the working-day calendar lacks them, as provisional (Monday to Friday) years,
    as the platform admin would enter them while waiting for the State Council's notice."""
    from kehou.platform.calendar import services as calendar

    today = clock.today_local()
    known = calendar.known_years(session)
    for year in (today.year, today.year + 1):
        if year not in known:
            calendar.put_year(session, Actor.system("demo"), year=year, status="provisional", source="", items=[],
                              reason="演示数据：国务院办公厅尚未公布该年节假日安排")


def load(ctx: Context, *, only_if_empty: bool = True) -> bool:
    with ctx.db.write_session() as s:
        if only_if_empty and s.scalar(select(func.count()).select_from(User)):
            return False
        admin_actor = Actor.system("demo")
        for code, name in (("330000", "浙江省"), (CITY, "杭州市"), (MAIN, "西湖区"), (SECOND, "滨江区"), (THIRD, "余杭区")):
            counties.add_region(s, Actor(user_id=0, username="demo", display_name="演示", role="platform_admin"),
                                code=code, name=name)
        for i, kind in enumerate(SCHOOL_KINDS, start=1):
            counties.add_school(s, admin_actor, county_code=MAIN, name=f"西湖区第{i}{KIND_NAMES[kind]}", kind=kind,
                                student_count=600 + 37 * i, commit=False)
        for code, label in ((SECOND, "滨江区"), (THIRD, "余杭区")):
            for i in range(1, 4):
                counties.add_school(s, admin_actor, county_code=code, name=f"{label}第{i}小学", kind="primary",
                                    student_count=800, commit=False)
        provisional_calendar(s)
        s.commit()
        _user(s, "admin", "平台管理员", role="platform_admin")
        rev1 = _user(s, "xh_reviewer1", "陈审核", role="county_staff", county_code=MAIN, can_review=True)
        rev2 = _user(s, "xh_reviewer2", "林评审", role="county_staff", county_code=MAIN, can_review=True)
        decider = _user(s, "xh_decider", "周科长", role="county_staff", county_code=MAIN, can_decide=True)
        police = _user(s, "xh_police", "公安联审员", role="department", county_code=MAIN, department="public_security")
        _user(s, "bj_reviewer", "滨江审核员", role="county_staff", county_code=SECOND, can_review=True)
        _user(s, "bj_decider", "滨江决定人", role="county_staff", county_code=SECOND, can_decide=True)
        _user(s, "school01", "第1小学管理员", role="school_admin", county_code=MAIN, school_id=1)
        _user(s, "parent01", "王家长", role="parent", county_code=MAIN, school_id=1)
        policy.put(s, ctx.registry, accounts.actor_for(decider), scope=MAIN, key="admission.joint_departments",
                   value=["public_security"], effective_from=clock.today_local() - dt.timedelta(days=60),
                   reason="县委政法委要求公安部门参与第三方机构联审",
                   retroactive_reason="演示数据：两个月前已开始执行，补录")
    actors = {u.username: accounts.actor_for(u) for u in (rev1, rev2, decider, police)}
    clock.advance(dt.timedelta(days=-30))  # older applications started a month ago
    try:
        for n, (name, org_type, cats, target) in enumerate(PROVIDERS, start=1):
            if target in ("public_notice", "draft", "submitted", "returned"):
                continue
            _drive(ctx, n, name, org_type, cats, target, actors)
    finally:
        clock.reset()
    for n, (name, org_type, cats, target) in enumerate(PROVIDERS, start=1):
        if target in ("public_notice", "draft", "submitted", "returned"):
            _drive(ctx, n, name, org_type, cats, target, actors)
    with ctx.db.write_session() as s:  # older notices ended: to decision, then decided
        notice.close_ended_notices(s)
        for n, (_name, _t, _c, target) in enumerate(PROVIDERS, start=1):
            app_id = ctx.extra["demo_apps"][n]
            if target == "approved":
                try:
                    decision.approve(ctx, s, actors["xh_decider"], app_id, reason="材料齐全，评审合格，公示无异议")
                except Conflict as exc:  # the insurance ending within the period blocks: let it through, with a reason
                    if n not in SHORT_INSURANCE or exc.code != "vetting_blocked":
                        raise
                    run = vetting.latest_run(s, app_id)
                    for f in vetting.unresolved_blocks(s, app_id, vetting.findings_of(s, run) if run else []):
                        vetting.override(s, actors["xh_decider"], app_id, fingerprint=f.fingerprint,
                                         reason="保险续保手续办理中，机构已书面承诺到期前提交新保单")
                    decision.approve(ctx, s, actors["xh_decider"], app_id, reason="材料齐全，评审合格，公示无异议")
            elif target == "rejected":
                decision.reject(ctx, s, actors["xh_decider"], app_id, reason="课程内容涉及学科类培训，不符合非学科类要求")
        monitor.nightly(ctx, s)  # vet the admitted providers; warn of the insurance running out
    from kehou.cli import demo_catalogue

    demo_catalogue.load(ctx)
    return True


def _drive(ctx: Context, n: int, name: str, org_type: str, cats: list[str], target: str, actors: dict[str, Actor]) -> None:
    with ctx.db.write_session() as s:
        provider, user = providers.register(
            s, ctx.vault, Actor.anonymous(), providers.ProviderInput(
                name=name, uscc=_uscc(org_type, n), org_type=org_type, legal_rep_name=f"法人{n:02d}",
                legal_rep_id_number=_id(n), contact_name=f"联系人{n:02d}", contact_phone=f"1380013{n:04d}",
                address=f"杭州市西湖区文三路{n}号"),
            username=f"org{n:02d}", password=PASSWORD, display_name=f"{name}管理员")
        me = accounts.actor_for(user)
        staff_ids = []
        for k in range(2):
            staff_ids.append(providers.add_staff(s, ctx.vault, me, provider.id, providers.StaffInput(
                name=f"教练{n:02d}{k}", id_number=_id(100 + n * 2 + k), qualification_type="professional_certificate",
                qualification_number=f"ZY{n:03d}", criminal_record_issued_on=clock.today_local() - dt.timedelta(days=40))).id)
        doc_ids = _upload_documents(ctx, s, me, provider.id, org_type, staff_ids, n)
        courses = [{"title": f"{cats[0]}兴趣课", "category": cats[0], "description": "每周2次，每次90分钟，期末结业展示。"}]
        app = admission.create(ctx, s, me, county_code=MAIN, categories=cats,
                               statement=f"{name}课后服务方案：每周2次，每次90分钟。", courses=courses)
        ctx.extra.setdefault("demo_apps", {})[n] = app.id
        if target == "draft":
            return
        admission.submit(s, me, app.id)
        if target == "withdrawn":
            admission.withdraw(s, me, app.id, reason="本学期师资不足")
            return
        if target == "returned":
            admission.return_for_info(s, actors["xh_reviewer1"], app.id, message="请补充场地安全管理制度和保险单。")
            return
        if target == "submitted":
            return
        for doc_id in doc_ids:
            documents.review(ctx, s, actors["xh_reviewer1"], doc_id, accepted=True)
        admission.accept_materials(s, actors["xh_reviewer1"], app.id)
        scores = POOR if target == "rejected" else GOOD
        review.score(ctx, s, actors["xh_reviewer1"], app.id, scores=scores, comment="评审意见", internal_note="内部备注")
        if target == "expert_review":
            return
        review.score(ctx, s, actors["xh_reviewer2"], app.id, scores=scores, comment="同意")
        review.finish_review(ctx, s, actors["xh_reviewer1"], app.id)
        if target in ("joint_signoff", "rejected"):
            return
        review.signoff(ctx, s, actors["xh_police"], app.id, agreed=True, comment="经查无违法犯罪记录")
