"""``kehou selection verify-draw``: anyone recomputes a published draw from the revealed seed, the commitment
published when the choice window opened, and the published list of draw references in draw order (one per line;
an optional second column is the priority tier, an optional third the family of siblings drawn together, as the
public draw page lists them). Needs no database."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from kehou.pluginapi import CliCommand
from kehou.plugins.course_catalogue.lottery import draw


def _configure(parser: Any) -> None:
    sub = parser.add_subparsers(dest="selection_command", required=True)
    p = sub.add_parser("verify-draw", help="用公布的种子、承诺值和抽签顺序核验摇号结果")
    p.add_argument("--seed", required=True, help="选课结束后公布的随机种子（64位十六进制）")
    p.add_argument("--commitment", required=True, help="选课开始时公布的承诺值（SHA-256）")
    p.add_argument("--order", required=True, type=Path,
                   help="公布的抽签顺序文件：每行一个抽签编号，可选第二列优先层级、第三列同胞分组（逗号分隔）")


def read_order(path: Path) -> tuple[list[str], dict[str, int], dict[str, str]]:
    refs, tiers, families = [], {}, {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.reader(f):
            if not row or not row[0].strip() or row[0].startswith("#"):
                continue
            ref = row[0].strip()
            refs.append(ref)
            if len(row) > 1 and row[1].strip():
                tiers[ref] = int(row[1])
            if len(row) > 2 and row[2].strip():
                families[ref] = row[2].strip()
    return refs, tiers, families


def run(args: argparse.Namespace, ctx: Any = None) -> int:
    refs, tiers, families = read_order(args.order)
    problems = draw.verify(args.seed, args.commitment, refs, refs, tiers=tiers, families=families)
    for problem in problems:
        print(problem)
    if problems:
        print(f"核验不通过：{len(problems)}处问题。")
        return 1
    print(f"核验通过：种子与承诺值相符，{len(refs)}名学生的抽签顺序可由种子重新算出。")
    return 0


COMMAND = CliCommand("selection", "选课摇号：核验公布的抽签结果", _configure, run)
