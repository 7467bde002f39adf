"""The annual compliance audit pack (issue 20 part 7): built for a demo year from what the platform recorded —
views of children's records, exports and approvals, alerts, retention — and its tables checked; as PDF and Excel
from the county's privacy page and from ``kehou privacy audit-pack``."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kehou.cli.main import main
from kehou.platform.privacy import auditpack, exports, inventory, retention
from kehou.platform.students import roster
from kehou.timeutil import clock
from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World
from tests.test_billing_reconcile import cli_env  # noqa: F401 - the fixture
from tests.test_html_pages import browser

CSV = ("学号,姓名,年级,班级,监护人姓名,关系,监护人手机号,优先保障群体\r\n"
       + "".join(f"S{i:03d},学生{i},3,3年级1班,家长{i},母亲,139571{i:05d},{'留守儿童' if i % 4 == 0 else ''}\r\n"
                 for i in range(12))).encode()


def a_year(world: World) -> None:
    """Twelve children (3 in a priority group), the roster viewed (an alert at 10), one export asked and approved."""
    cs.enable_catalogue(world)
    bs.put(world, "privacy.view_alert_per_hour", 10)
    with world.ctx.db.write_session() as s:
        roster.import_roster(world.ctx, s, world.actor("school_admin"), world.school_ids["school"], filename="名册.csv", data=CSV)
    with browser(world.ctx, "school_admin") as page:
        assert page.get("/school/students").status_code == 200
    with world.ctx.db.write_session() as s:
        row = exports.request(world.ctx, s, world.actor("school_admin"), kind="roster", reason="核对班级名单", params={})
    with world.ctx.db.write_session() as s:
        exports.decide(s, world.actor("decider"), row.id, approve=True, note="同意")


def test_the_pack_of_a_year_holds_what_happened_in_it(world: World) -> None:
    a_year(world)
    year = clock.today_local().year
    with world.ctx.db.read_session() as s:
        pack = auditpack.build(s, COUNTY, year)
        earlier = auditpack.build(s, COUNTY, year - 1)
    assert pack.county_name == "西湖区" and pack.title == f"{year}年度未成年人个人信息保护合规审计报告"
    assert len(pack.section("一、个人信息清单").rows) == len(inventory.FIELDS) + 1
    volumes = pack.section("二、数据规模（审计时点）").rows
    assert volumes[0][:3] == ["学校", "学生", "其中优先保障群体"] and volumes[-1][:3] == ["合计", "12", "3"]
    assert volumes[-1][6] == "12"  # twelve guardians' phones on file
    assert pack.section("四、儿童个人信息访问统计（按角色）").rows[1][1:] == ["12", "12", "1"]  # views, children, accounts
    exported = pack.section("五、批量导出与审批").rows
    assert len(exported) == 2 and exported[1][4:7] == ["核对班级名单", "已批准，可下载", "decider"]
    alerts = pack.section("六、异常访问告警与安全事件").rows
    assert len(alerts) == 2 and "12 名学生" in alerts[1][1]
    consents = pack.section("三、监护人同意情况").rows
    assert consents[1][0].startswith("已阅读并同意") and consents[2][1:] == ["0", "0", "0"]  # nobody agreed to showcase
    assert pack.section("八、个人信息权利请求（查阅、更正、删除）").rows[1] == ["更正信息", "0", "0", "0", "0", "0"]
    assert len(earlier.section("五、批量导出与审批").rows) == 1 and len(earlier.section("六、异常访问告警与安全事件").rows) == 1
    pdf = auditpack.pdf(pack)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
    book = load_workbook(io.BytesIO(auditpack.xlsx(pack)))
    assert book.sheetnames[0] == "封面" and len(book.sheetnames) == len(pack.sections) + 1
    sheet = book[next(n for n in book.sheetnames if "批量导出" in n)]
    assert [c.value for c in sheet[2]][4] == "核对班级名单"


@pytest.mark.usefixtures("cli_env")
def test_the_county_downloads_it_and_the_command_writes_it(world: World, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    a_year(world)
    year = clock.today_local().year
    with browser(world.ctx, "decider") as page:
        assert f"/desk/privacy/audit-pack/{year}/pdf" in page.get("/desk/privacy").text
        got = page.get(f"/desk/privacy/audit-pack/{year}/pdf")
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        assert page.get(f"/desk/privacy/audit-pack/{year}/xlsx").status_code == 200
        assert page.get(f"/desk/privacy/audit-pack/{year}/docx").status_code == 404
    for who in ("school_admin", "provider", "parent"):
        with browser(world.ctx, who) as page:
            assert page.get(f"/desk/privacy/audit-pack/{year}/pdf").status_code == 403
    assert main(["privacy", "audit-pack", "--year", str(year), "--county", COUNTY, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "五、批量导出与审批：1 行" in out
    assert (tmp_path / f"privacy-audit-{COUNTY}-{year}.pdf").read_bytes().startswith(b"%PDF")
    assert main(["privacy", "audit-pack", "--year", str(year), "--county", "999999", "--out", str(tmp_path)]) == 2


def test_the_pack_lists_what_retention_removed_that_year(world: World) -> None:
    a_year(world)
    with world.ctx.db.write_session() as s:  # four years on, the access log and the finished export are due
        retention.run_county(world.ctx, s, COUNTY, clock.today_local() + dt.timedelta(days=4 * 366))
    with world.ctx.db.read_session() as s:
        rows = auditpack.build(s, COUNTY, clock.today_local().year).section("七、到期个人信息的删除与匿名化").rows
    assert rows[0] == ["时间", "类别", "处理方式", "学生数", "监护人账号", "其他记录", "说明"]
    assert sorted(r[1:6] for r in rows[1:]) == [["访问、登录、导出与申请记录", "删除儿童信息访问记录", "0", "0", "12"],
                                                ["访问、登录、导出与申请记录", "删除已办结的导出申请", "0", "0", "1"]]
    assert all(r[6].startswith("记录之日起满3年") for r in rows[1:])
