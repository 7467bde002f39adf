"""The whole admission flow through the web UI in a real browser, as each role in turn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kehou.app import create_app
from kehou.timeutil import clock
from tests.browser import chromium, live_server, require_chromium
from tests.factories import COUNTY, PASSWORD, World, pdf, resident_id, uscc

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def login(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('登录')")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()
    return page


def do(page, action: str, fields: dict[str, str] | None = None) -> None:  # type: ignore[no-untyped-def]
    form = page.locator(f"form[action$='/{action}']")
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def upload(page, base: str, tmp: Path, doc_type: str, **fields: str) -> None:  # type: ignore[no-untyped-def]
    """Upload one document through the provider page's multipart form."""
    page.goto(f"{base}/provider#documents")
    form = page.locator("form[action='/provider/documents']")
    form.locator("select[name=doc_type]").select_option(doc_type)
    if "staff" in fields:
        form.locator("select[name=staff_id]").select_option(label=fields.pop("staff"))
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    path = tmp / f"{doc_type}-{len(list(tmp.iterdir()))}.pdf"
    path.write_bytes(pdf(f"{doc_type}-{path.name}"))
    form.locator("input[type=file]").set_input_files(str(path))
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "证件已上传" in page.locator(".flash.ok").inner_text(), page.content()[:2000]


def status(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator("#app-status").inner_text()


def test_admission_through_the_web_ui(ctx, world: World, tmp_path: Path) -> None:
    require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(create_app(ctx.settings, context=ctx)) as base, chromium() as browser:
        # a provider signs up; a wrong check character is explained
        reg = browser.new_context(locale="zh-CN").new_page()
        reg.goto(f"{base}/register")
        good = uscc("52330106MJ0000777")
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        values = {"name": "西子少儿美术馆", "uscc": bad, "legal_rep_name": "孙八", "legal_rep_id_number": resident_id(),
                  "contact_name": "孙八", "contact_phone": "13700137000", "username": "xizi", "display_name": "孙八",
                  "password": PASSWORD}
        for name, value in values.items():
            reg.fill(f"[name={name}]", value)
        reg.click("button:has-text('注册')")
        reg.wait_for_load_state()  # refill.js is deferred: it has run once the page has loaded
        assert "第18位校验码应为" in reg.locator(".flash.error").inner_text()
        # what was typed is back (the password excepted), the error beside its field
        for name, value in values.items():
            assert reg.input_value(f"[name={name}]") == ("" if name == "password" else value), name
        assert "第18位校验码应为" in reg.locator("#error-uscc").inner_text()
        assert reg.get_attribute("[name=uscc]", "aria-invalid") == "true"
        reg.screenshot(path=str(ARTIFACTS / "register-error-kept.png"), full_page=True)
        reg.fill("[name=uscc]", good)
        reg.fill("[name=password]", PASSWORD)
        reg.click("button:has-text('注册')")
        assert "注册成功" in reg.locator(".flash.ok").inner_text()

        # provider: staff, application, submit
        prov = login(browser, base, "xizi")
        prov.fill("#staff ~ form [name=name]", "吴老师")
        prov.fill("[name=id_number]", resident_id("33010619880808123"))
        prov.fill("[name=qualification_number]", "JS-2020-8")
        prov.fill("[name=criminal_record_issued_on]", "2026-10-10")
        prov.click("button:has-text('登记人员') >> nth=-1")
        assert "人员已登记" in prov.inner_text("body")
        assert "吴老师" in prov.inner_text("#staff ~ table")
        # documents: a hostile upload is refused, then every required one is uploaded
        prov.goto(f"{base}/provider#documents")
        fake = tmp_path / "licence.pdf"
        fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 64)
        form = prov.locator("form[action='/provider/documents']")
        form.locator("input[type=file]").set_input_files(str(fake))
        form.locator("button[type=submit]").click()
        assert "可执行程序" in prov.locator(".flash.error").inner_text()
        fake.unlink()
        for doc_type in ("business_licence", "insurance", "safety_commitment"):
            upload(prov, base, tmp_path, doc_type, number=f"NO-{doc_type}", valid_from="2025-01-01", valid_to="2029-12-31",
                   scope_text="美术培训、艺术教育")
        upload(prov, base, tmp_path, "qualification_certificate", staff="吴老师", number="JS-2020-8")
        upload(prov, base, tmp_path, "criminal_record_certificate", staff="吴老师", number="WF-1", valid_from="2026-10-10")
        assert prov.locator("#documents ~ table").first.inner_text().count("待审核") == 5

        prov.goto(f"{base}/provider?county={COUNTY}#new")
        prov.check("input[name=categories][value=体育艺术]")
        prov.fill("form[action='/provider/applications'] [name=statement]", "少儿创意美术")
        prov.fill("[name=course_title] >> nth=0", "少儿创意美术")
        prov.select_option("[name=course_category] >> nth=0", "体育艺术")
        prov.fill("[name=course_description] >> nth=0", "水彩、线描与手工，每周两次")
        prov.click("button:has-text('创建申请')")
        app_url = prov.url.split("#")[0]
        app_id = int(app_url.rstrip("/").rsplit("/", 1)[1])
        do(prov, "submit")
        assert status(prov) == "材料审核中"

        # the submission was vetted (the task runs here in-process, as a worker would)
        from kehou.tasks import jobs
        from kehou.vetting import services as vetting

        with ctx.db.read_session() as s:
            run_id = vetting.latest_run(s, app_id).id  # type: ignore[union-attr]
        assert jobs.vetting_run(run_id) == "done"

        # reviewer sees the findings, then returns it for more information
        rev1 = login(browser, base, "reviewer1")
        rev1.goto(f"{base}/desk/applications/{app_id}#vetting")
        findings = rev1.inner_text("#findings")
        assert "必备材料" in findings or "required_documents" in findings
        assert "阻止" not in findings.split("\n", 1)[1].split("\t", 1)[0]
        rev1.screenshot(path=str(ARTIFACTS / "vetting-findings.png"), full_page=True)
        rev1.goto(f"{base}/desk")
        assert "西子少儿美术馆" in rev1.inner_text("body")
        rev1.goto(f"{base}/desk/applications/{app_id}")
        do(rev1, "return", {"message": "请补充师资证书扫描件"})
        assert status(rev1) == "退回补充材料"

        # provider sees the message, edits and resubmits
        prov.goto(app_url)
        assert "请补充师资证书扫描件" in prov.inner_text("body")
        do(prov, "edit", {"statement": "少儿创意美术；已补充师资证书"})
        do(prov, "resubmit", {"note": "已补充"})
        assert status(prov) == "材料审核中"

        # two reviewers score, the review finishes, the notice opens
        rev1.goto(f"{base}/desk/applications/{app_id}")
        do(rev1, "accept")  # refused while documents are pending; they are accepted together, ticked
        assert "份证件未审核" in rev1.inner_text("body") and status(rev1) == "材料审核中"
        boxes = rev1.locator("input[name=document_id]")
        assert boxes.count() >= 2
        for box in boxes.all():
            box.check()
        rev1.click("button:has-text('通过所勾选的证件')")
        rev1.wait_for_load_state()
        rev1.goto(f"{base}/desk/applications/{app_id}")
        assert rev1.locator("input[name=document_id]").count() == 0
        do(rev1, "accept")
        for page in (rev1, login(browser, base, "reviewer2")):
            page.goto(f"{base}/desk/applications/{app_id}")
            do(page, "score", {"score_qualification": "20", "score_curriculum": "25", "score_staff": "20",
                               "score_safety": "15", "comment": "同意"})
        rev1.goto(f"{base}/desk/applications/{app_id}")
        do(rev1, "finish")
        assert status(rev1) == "公示中"

        # the public sees the notice and files an objection, no login
        public = browser.new_context(locale="zh-CN").new_page()
        public.goto(f"{base}/public/{COUNTY}")
        assert "西子少儿美术馆" in public.inner_text("#notices ~ table")
        public.click("a:has-text('查看并提出异议')")
        public.fill("[name=name]", "赵六")
        public.fill("[name=contact]", "13900139000")
        public.fill("[name=content]", "该机构曾在校外招揽学员")
        public.fill("[name=evidence]", "宣传单照片")
        public.click("button:has-text('提交异议')")
        assert "异议已提交" in public.inner_text(".flash.ok")

        # the notice period ends; the reviewer closes it and answers the objection
        clock.advance(dt.timedelta(days=10))
        rev1.goto(f"{base}/desk/applications/{app_id}")
        do(rev1, "close")
        assert status(rev1) == "待决定"
        rev1.fill("textarea[name=answer]", "经核实，宣传单为其他机构所发，异议不成立")
        rev1.click("button:has-text('答复')")
        assert "经核实" in rev1.inner_text("body")

        # the decision-maker approves; the public whitelist shows the provider
        dec = login(browser, base, "decider")
        dec.goto(f"{base}/desk/applications/{app_id}")
        asked = len(browser.dialogs)
        do(dec, "approve", {"reason": "符合准入条件"})
        assert browser.dialogs[asked:] == ["准予准入后，该机构列入本区县白名单并向社会公开。确定吗？"]  # asked first
        assert status(dec) == "已准入"
        public.goto(f"{base}/public/{COUNTY}")
        assert "西子少儿美术馆" in public.inner_text("#whitelist ~ table")
        public.screenshot(path=str(ARTIFACTS / "public-whitelist.png"), full_page=True)

        # a second application is rejected with reasons
        other = login(browser, base, "provider")
        other.goto(f"{base}/provider?county={COUNTY}#new")
        other.check("input[name=categories][value=阅读]")
        other.click("button:has-text('创建申请')")
        other_id = int(other.url.split("#")[0].rstrip("/").rsplit("/", 1)[1])
        do(other, "submit")
        dec.goto(f"{base}/desk/applications/{other_id}")
        do(dec, "reject", {"reason": "课程内容属于学科类培训"})
        assert status(dec) == "未准入"
        public.goto(f"{base}/public/{COUNTY}")
        decisions = public.inner_text("#decisions ~ table")
        assert "西湖青少年美术中心" in decisions and "不予准入" in decisions
        dec.screenshot(path=str(ARTIFACTS / "decision.png"), full_page=True)
