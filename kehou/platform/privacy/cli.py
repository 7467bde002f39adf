"""``kehou privacy audit-pack --year 2026 --county 330106 [--out DIR]``: the annual compliance audit of minors'
personal information for a county, as PDF and Excel (see :mod:`kehou.platform.privacy.auditpack`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kehou.pluginapi import CliCommand


def _configure(parser: Any) -> None:
    sub = parser.add_subparsers(dest="privacy_command", required=True)
    p = sub.add_parser("audit-pack", help="生成区县年度未成年人个人信息保护合规审计报告（PDF 与 Excel）")
    p.add_argument("--year", type=int, required=True, help="审计年度，如 2026")
    p.add_argument("--county", required=True, help="区县代码，如 330106")
    p.add_argument("--out", type=Path, default=Path("."), help="输出目录（默认当前目录）")


def run(args: argparse.Namespace, ctx: Any) -> int:
    from kehou.platform.counties.models import Region
    from kehou.platform.privacy import auditpack

    with ctx.db.read_session() as s:
        if s.get(Region, args.county) is None:
            print(f"没有区县 {args.county}。")
            return 2
        pack = auditpack.build(s, args.county, args.year)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"privacy-audit-{args.county}-{args.year}"
    stem.with_suffix(".pdf").write_bytes(auditpack.pdf(pack))
    stem.with_suffix(".xlsx").write_bytes(auditpack.xlsx(pack))
    print(f"{pack.title}（{pack.county_name}）：{stem}.pdf、{stem}.xlsx")
    for section in pack.sections:
        print(f"  {section.title}：{len(section.rows) - 1} 行" + (f"；{section.note}" if section.note else ""))
    return 0


COMMAND = CliCommand("privacy", "个人信息保护：年度合规审计报告", _configure, run)
