"""A county's blacklist: import from CSV/Excel (all or nothing), list masked labels, remove with a reason.

Entries hold keyed hashes that match what vetting computes for a provider's USCC,
its legal representative and its staff.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from kehou.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.audit.models import AuditEntry
from kehou.platform.context import Context
from kehou.platform.providers.models import Provider, Staff
from kehou.vetting import blacklist
from kehou.vetting.blacklist_api import BlacklistApi
from kehou.vetting.models import BlacklistEntry
from kehou.web.routes import core_routes
from tests.factories import COUNTY, OTHER_COUNTY, World, resident_id, uscc
from tests.helpers import err, ok, token_headers

PROVIDER_USCC = uscc("52330106MJ0000001")  # the world's provider
LEGAL_REP_ID = resident_id()  # its legal representative
STAFF_ID = resident_id("33010619900101123")  # its teacher
OTHER_USCC = uscc("91330106MA2B00001")
OTHER_PERSON = resident_id("33010619850101001")

BASE = f"/api/v1/counties/{COUNTY}/blacklist"


def test_blacklist_api_is_mounted() -> None:
    assert BlacklistApi in core_routes()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\r\n".join(",".join(r) for r in rows).encode(encoding) + b"\r\n"


ZH_HEADER = ["类型", "名称", "证件号", "原因", "来源"]
ZH_ROWS = [
    ZH_HEADER,
    ["机构", "西湖青少年美术中心", PROVIDER_USCC, "违规收费", "区教育局2025年第3号通报"],
    ["个人", "张三", LEGAL_REP_ID, "", "公安通报"],
    ["个人", "王老师", STAFF_ID.lower(), "有犯罪记录", ""],
]


def upload(client: TestClient, headers: dict[str, str], filename: str, data: bytes, reason: str | None = None,
           county: str = COUNTY) -> Any:
    form = {"reason": reason} if reason is not None else None
    return client.post(f"/api/v1/counties/{county}/blacklist/import", headers=headers,
                       files={"file": (filename, data, "application/octet-stream")}, data=form)


def entries(ctx: Context, county: str = COUNTY) -> list[BlacklistEntry]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(BlacklistEntry).where(BlacklistEntry.county_code == county)
                              .order_by(BlacklistEntry.id)))


def audit_entries(ctx: Context, action: str) -> list[AuditEntry]:
    with ctx.db.read_session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- import ------------------------------------------------------------------------------


def test_csv_with_bom_and_chinese_headers_matches_what_vetting_hashes(client, ctx: Context, world: World) -> None:
    decider = token_headers(client, "decider")
    data = b"\xef\xbb\xbf" + csv_bytes(ZH_ROWS)
    assert ok(upload(client, decider, "黑名单.csv", data, reason="2025年度通报")) == {
        "added": 3, "unchanged": 0, "errors": []}

    rows = entries(ctx)
    with ctx.db.read_session() as s:
        provider = s.get(Provider, world.provider_ids["provider"])
        staff = s.scalars(select(Staff).where(Staff.provider_id == provider.id)).one()
        expected = {("organisation", ctx.vault.keyed_hash(provider.uscc)),
                    ("person", provider.legal_rep_id_hash), ("person", staff.id_number_hash)}
    assert {(r.kind, r.keyed_hash) for r in rows} == expected
    by_kind = {r.label: r for r in rows}
    org = by_kind[f"西湖青少年美术中心（{'*' * 14}{PROVIDER_USCC[-4:]}）"]
    assert org.reason == "违规收费" and org.source == "区教育局2025年第3号通报"
    rep = by_kind[f"张三（{'*' * 14}{LEGAL_REP_ID[-4:]}）"]
    assert rep.reason == "2025年度通报"  # the default reason fills an empty cell
    teacher = by_kind[f"王老师（{'*' * 14}{STAFF_ID[-4:]}）"]
    assert teacher.source == "黑名单.csv"  # the file name fills an empty source
    assert all(r.imported_by == world.users["decider"].id for r in rows)
    for r in rows:  # nothing but the last four characters of an identifier is stored
        assert PROVIDER_USCC not in r.label + r.reason + r.source
        assert LEGAL_REP_ID not in r.label and STAFF_ID not in r.label

    (entry,) = audit_entries(ctx, "blacklist.import")
    assert entry.county_code == COUNTY and entry.reason == "2025年度通报"
    assert entry.new_values["added"] == 3 and entry.new_values["file"] == "黑名单.csv"
    assert len(entry.new_values["sha256"]) == 64

    # the same list again: nothing new, still one audit entry per import
    assert ok(upload(client, decider, "黑名单.csv", data)) == {"added": 0, "unchanged": 3, "errors": []}
    assert len(entries(ctx)) == 3
    assert [e.new_values["added"] for e in audit_entries(ctx, "blacklist.import")] == [3, 0]
    with ctx.db.read_session() as s:
        assert audit.verify(s)[1] == []


def test_xlsx_with_english_headers(client, ctx: Context, world: World) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Blacklist of Xihu District, 2025"])  # a title row above the header
    sheet.append(["Kind", "Name", "Identifier", "Reason", "Source", "Remarks"])
    sheet.append(["organisation", "Bad Org", OTHER_USCC, "fraud", "court"])
    sheet.append([None, None, None, None, None])  # blank rows are skipped
    sheet.append(["Person", "李四", f" {OTHER_PERSON} ", None, None, "extra columns are ignored"])
    book.create_sheet("ignored").append(["类型", "名称", "证件号"])
    buf = io.BytesIO()
    book.save(buf)

    res = ok(upload(client, token_headers(client, "decider"), "list.XLSX", buf.getvalue(), reason="通报"))
    assert res["added"] == 2
    rows = entries(ctx)
    assert {(r.kind, r.keyed_hash) for r in rows} == {
        ("organisation", ctx.vault.keyed_hash(OTHER_USCC)), ("person", ctx.vault.keyed_hash(OTHER_PERSON))}
    assert {r.reason for r in rows} == {"fraud", "通报"}


def test_gb18030_csv_and_kind_from_the_identifier_header(ctx: Context, world: World) -> None:
    data = csv_bytes([["姓名", "身份证号码（18位）", "原因"], ["张三", LEGAL_REP_ID, "通报"],
                      ["李四", OTHER_PERSON, ""]], encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with ctx.db.write_session() as s:
        res = blacklist.import_file(ctx, s, world.actor("decider"), COUNTY, filename="名单.csv", data=data)
    assert (res.added, res.unchanged, res.errors) == (2, 0, [])
    assert sorted(r.label for r in entries(ctx)) == sorted(
        [f"张三（{'*' * 14}{LEGAL_REP_ID[-4:]}）", f"李四（{'*' * 14}{OTHER_PERSON[-4:]}）"])
    assert {r.kind for r in entries(ctx)} == {"person"}


def test_platform_admin_may_import_for_any_county(ctx: Context, world: World) -> None:
    with ctx.db.write_session() as s:
        res = blacklist.import_file(ctx, s, world.actor("admin"), OTHER_COUNTY, filename="a.csv", data=csv_bytes(ZH_ROWS))
    assert res.added == 3 and len(entries(ctx, OTHER_COUNTY)) == 3 and entries(ctx) == []


def test_one_bad_row_imports_nothing(client, ctx: Context, world: World) -> None:
    bad = PROVIDER_USCC[:17] + ("0" if PROVIDER_USCC[17] != "0" else "1")
    rows = [ZH_HEADER, ["机构", "好机构", OTHER_USCC, "", ""], ["机构", "坏机构", bad, "", ""],
            ["个人", "张三", LEGAL_REP_ID, "", ""], ["单位", "", "", "", ""], ["外星人", "某", OTHER_PERSON, "", ""]]
    body = err(upload(client, token_headers(client, "decider"), "bad.csv", csv_bytes(rows)), 400,
               "blacklist_rows_invalid")
    assert "第3行" in body["message"] and "未导入任何记录" in body["message"]
    errors = body["extra"]["errors"]
    assert [e["row"] for e in errors] == [3, 5, 6]
    assert "校验码" in errors[0]["message"]
    assert "名称不能为空" in errors[1]["message"]
    assert "外星人" in errors[2]["message"]
    assert body["extra"]["error_count"] == 3
    assert entries(ctx) == [] and audit_entries(ctx, "blacklist.import") == []


def test_unreadable_or_unsuitable_files(ctx: Context, world: World) -> None:
    actor = world.actor("decider")

    def attempt(filename: str, data: bytes) -> ValidationFailed:
        with ctx.db.write_session() as s, pytest.raises(ValidationFailed) as exc:
            blacklist.import_file(ctx, s, actor, COUNTY, filename=filename, data=data)
        return exc.value

    assert attempt("a.csv", csv_bytes([["名称", "证件号"], ["张三", LEGAL_REP_ID]])).code == "blacklist_header_invalid"
    assert attempt("a.csv", csv_bytes([["甲", "乙"], ["1", "2"]])).code == "blacklist_header_invalid"
    assert attempt("a.csv", csv_bytes([ZH_HEADER, ["类型", "类型"]])).code == "blacklist_rows_invalid"
    assert attempt("a.csv", csv_bytes([["类型", "名称", "证件号", "身份证号"]])).code == "blacklist_header_invalid"
    assert attempt("a.csv", csv_bytes([ZH_HEADER])).code == "blacklist_file_empty"
    assert attempt("a.csv", b"").code == "blacklist_file_empty"
    assert attempt("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100).code == "blacklist_file_type"
    assert attempt("a.xlsx", b"not a zip").code == "blacklist_file_unreadable"
    assert attempt("a.pdf", b"%PDF-1.4").code == "blacklist_file_type"
    assert entries(ctx) == []


def test_excel_number_cells_get_a_hint(ctx: Context, world: World) -> None:
    book = Workbook()
    book.active.append(["类型", "名称", "身份证号"])
    book.active.append(["个人", "张三", 330106198501010011])  # Excel keeps 15 significant digits
    buf = io.BytesIO()
    book.save(buf)
    with ctx.db.write_session() as s, pytest.raises(ValidationFailed) as exc:
        blacklist.import_file(ctx, s, world.actor("decider"), COUNTY, filename="a.xlsx", data=buf.getvalue())
    assert exc.value.code == "blacklist_rows_invalid"
    assert "文本格式" in exc.value.extra["errors"][0]["message"]


def test_oversize_and_too_many_rows_refused(client, ctx: Context, world: World) -> None:
    decider = token_headers(client, "decider")
    big = csv_bytes(ZH_ROWS) + b"#" * (blacklist.MAX_BYTES + 1)
    err(upload(client, decider, "big.csv", big), 400, "blacklist_file_too_large")
    huge = b"x" * (blacklist.MAX_BYTES + 2 * 1024 * 1024)
    assert upload(client, decider, "huge.csv", huge).status_code == 413

    many = [ZH_HEADER] + [["个人", "某", OTHER_PERSON, "", ""]] * (blacklist.MAX_ROWS + 1)
    with ctx.db.write_session() as s, pytest.raises(ValidationFailed) as exc:
        blacklist.import_file(ctx, s, world.actor("decider"), COUNTY, filename="many.csv", data=csv_bytes(many))
    assert exc.value.code == "blacklist_too_many_rows"
    assert entries(ctx) == []


# --- who may -----------------------------------------------------------------------------


def test_only_deciders_of_the_county_import(client, ctx: Context, world: World) -> None:
    data = csv_bytes(ZH_ROWS)
    err(upload(client, token_headers(client, "other_decider"), "a.csv", data), 403, "permission_denied")
    err(upload(client, token_headers(client, "reviewer1"), "a.csv", data), 403, "decide_right_required")
    err(upload(client, token_headers(client, "provider"), "a.csv", data), 403, "blacklist_denied")
    err(upload(client, token_headers(client, "police"), "a.csv", data), 403, "blacklist_denied")
    err(upload(client, {}, "a.csv", data), 401, "not_authenticated")
    err(upload(client, token_headers(client, "admin"), "a.csv", data, county="999999"), 404, "county_unknown")
    assert entries(ctx) == []
    with ctx.db.write_session() as s, pytest.raises(NotAuthenticated):
        blacklist.import_file(ctx, s, Actor.anonymous(), COUNTY, filename="a.csv", data=data)
    with ctx.db.write_session() as s, pytest.raises(PermissionDenied):
        blacklist.import_file(ctx, s, world.actor("reviewer1"), COUNTY, filename="a.csv", data=data)


def test_list_shows_masked_labels_to_county_staff_only(client, ctx: Context, world: World) -> None:
    ok(upload(client, token_headers(client, "decider"), "a.csv", csv_bytes(ZH_ROWS)))
    resp = client.get(BASE, headers=token_headers(client, "reviewer1"))  # review-only staff may look
    listed = ok(resp)
    assert len(listed) == 3
    assert set(listed[0]) == {"id", "kind", "kind_label", "label", "reason", "source", "imported_at", "expires_on"}
    labels = {e["label"] for e in listed}
    assert f"张三（{'*' * 14}{LEGAL_REP_ID[-4:]}）" in labels
    for secret in (LEGAL_REP_ID, STAFF_ID, PROVIDER_USCC, *(r.keyed_hash for r in entries(ctx))):
        assert secret not in resp.text

    assert len(ok(client.get(BASE, headers=token_headers(client, "admin")))) == 3
    err(client.get(BASE, headers=token_headers(client, "other_decider")), 403, "permission_denied")
    err(client.get(BASE, headers=token_headers(client, "provider")), 403, "blacklist_denied")
    err(client.get(BASE), 401, "not_authenticated")
    assert ok(client.get(f"/api/v1/counties/{OTHER_COUNTY}/blacklist", headers=token_headers(client, "other_decider"))) == []


# --- remove ------------------------------------------------------------------------------


def test_remove_needs_a_decider_and_a_reason_and_is_audited(client, ctx: Context, world: World) -> None:
    decider = token_headers(client, "decider")
    ok(upload(client, decider, "a.csv", csv_bytes(ZH_ROWS)))
    target = next(r for r in entries(ctx) if r.label.startswith("张三"))
    url = f"{BASE}/{target.id}"

    err(client.request("DELETE", url, headers=decider, json={"reason": "  "}), 400, "reason_required")
    err(client.request("DELETE", url, headers=token_headers(client, "reviewer1"), json={"reason": "误列"}), 403,
        "decide_right_required")
    err(client.request("DELETE", url, headers=token_headers(client, "other_decider"), json={"reason": "误列"}), 404,
        "blacklist_entry_not_found")
    err(client.request("DELETE", f"/api/v1/counties/{OTHER_COUNTY}/blacklist/{target.id}",
                       headers=token_headers(client, "admin"), json={"reason": "误列"}), 404, "blacklist_entry_not_found")
    err(client.request("DELETE", url, json={"reason": "误列"}), 401, "not_authenticated")
    assert len(entries(ctx)) == 3

    assert ok(client.request("DELETE", url, headers=decider, json={"reason": "法院撤销处罚决定"})) == {
        "id": target.id, "removed": True}
    assert target.id not in {r.id for r in entries(ctx)}
    (entry,) = audit_entries(ctx, "blacklist.remove")
    assert entry.county_code == COUNTY and entry.reason == "法院撤销处罚决定"
    assert entry.actor_id == world.users["decider"].id and entry.entity_id == str(target.id)
    assert entry.old_values["label"] == target.label and entry.old_values["keyed_hash"] == target.keyed_hash
    err(client.request("DELETE", url, headers=decider, json={"reason": "再次"}), 404, "blacklist_entry_not_found")

    # removed, then imported again: it is back
    assert ok(upload(client, decider, "a.csv", csv_bytes(ZH_ROWS)))["added"] == 1


def test_the_vetting_rule_matches_imported_entries(ctx: Context, world: World) -> None:
    from kehou.vetting.rules import blacklist as rule
    from kehou.vetting.services import build_input

    with ctx.db.write_session() as s:
        blacklist.import_file(ctx, s, world.actor("decider"), COUNTY, filename="a.csv", data=csv_bytes(ZH_ROWS))
    with ctx.db.read_session() as s:
        findings = rule.check(build_input(ctx, s, world.provider_ids["provider"], COUNTY))
        clean = rule.check(build_input(ctx, s, world.provider_ids["provider"], OTHER_COUNTY))
    assert sorted(f.evidence["subject"] for f in findings if f.verdict.value == "block") == [
        "legal_rep", "organisation", "staff"]
    assert [f.verdict.value for f in clean] == ["pass"]
