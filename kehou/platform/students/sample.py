"""The roster import's Excel files: the empty template a school fills in, and the sample roster of the demo school.

``python -m kehou.platform.students.sample`` writes the sample to ``kehou/cli/samples/roster-sample.xlsx`` (the
file in the repository is made this way; tests/test_roster_import.py checks that it matches :data:`SAMPLE_ROWS`
and imports cleanly).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

from kehou.platform.students.importer import HEADER, REQUIRED
from kehou.platform.students.models import PRIORITY_LABELS

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "cli" / "samples" / "roster-sample.xlsx"
COLUMNS = [HEADER[k] for k in REQUIRED] + [HEADER["priority"]]
WIDTHS = [14, 10, 8, 12, 12, 8, 16, 22]
TEXT_COLUMNS = ("A", "G")  # 学号 and the mobile number stay text: Excel would round long numbers

#: the demo school's (西湖区第1小学) two third-grade classes: siblings share a mobile number (王一诺 in 1班 and
#: 王一鸣 in 2班; 陈思远 and 陈思齐), 刘子涵 has two guardians, two children are in a priority group
SAMPLE_ROWS: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("X20260101", "王一诺", "三年级", "3年级1班", "王建国", "父亲", "13957100101", ""),
    ("X20260102", "李沐阳", "三年级", "3年级1班", "李红", "母亲", "13957100102", ""),
    ("X20260103", "张可馨", "三年级", "3年级1班", "张伟", "父亲", "13957100103", ""),
    ("X20260104", "刘子涵", "三年级", "3年级1班", "刘芳", "母亲", "13957100104", ""),
    ("X20260104", "刘子涵", "三年级", "3年级1班", "刘强", "父亲", "13957100204", ""),
    ("X20260105", "陈思远", "三年级", "3年级1班", "陈敏", "母亲", "13957100105", ""),
    ("X20260106", "杨雨桐", "三年级", "3年级1班", "杨秀英", "祖母", "13957100106", "留守儿童"),
    ("X20260107", "赵俊熙", "三年级", "3年级1班", "赵磊", "父亲", "13957100107", ""),
    ("X20260108", "黄诗涵", "三年级", "3年级1班", "黄丽", "母亲", "13957100108", ""),
    ("X20260109", "周梓轩", "三年级", "3年级1班", "周军", "父亲", "13957100109", ""),
    ("X20260110", "吴欣怡", "三年级", "3年级1班", "吴静", "母亲", "13957100110", ""),
    ("X20260111", "徐浩然", "三年级", "3年级1班", "徐勇", "父亲", "13957100111", ""),
    ("X20260112", "孙语嫣", "三年级", "3年级1班", "孙燕", "母亲", "13957100112", ""),
    ("X20260201", "王一鸣", "三年级", "3年级2班", "王建国", "父亲", "13957100101", ""),
    ("X20260202", "陈思齐", "三年级", "3年级2班", "陈敏", "母亲", "13957100105", ""),
    ("X20260203", "马晨阳", "三年级", "3年级2班", "马丽娟", "母亲", "13957100203", "进城务工人员随迁子女"),
    ("X20260204", "朱若曦", "三年级", "3年级2班", "朱涛", "父亲", "13957100205", ""),
    ("X20260205", "胡一航", "三年级", "3年级2班", "胡娟", "母亲", "13957100206", ""),
    ("X20260206", "郭梓萱", "三年级", "3年级2班", "郭平", "父亲", "13957100207", ""),
    ("X20260207", "何宇轩", "三年级", "3年级2班", "何霞", "母亲", "13957100208", ""),
    ("X20260208", "林书瑶", "三年级", "3年级2班", "林峰", "父亲", "13957100209", ""),
    ("X20260209", "高子墨", "三年级", "3年级2班", "高敏", "母亲", "13957100210", ""),
    ("X20260210", "罗嘉怡", "三年级", "3年级2班", "罗斌", "父亲", "13957100211", ""),
    ("X20260211", "郑博文", "三年级", "3年级2班", "郑艳", "母亲", "13957100212", ""),
]

INSTRUCTIONS = [
    ("列", "是否必填", "填写说明"),
    ("学号", "必填", "本校学号或全国学籍号，字母和数字；同一学号再次导入时更新该生信息，不会重复登记。"),
    ("姓名", "必填", "学生姓名。"),
    ("年级", "必填", "1到9的数字，或“三年级”“初一”等。"),
    ("班级", "必填", "如“3年级2班”；打印家长激活单按班级进行，请同一班级写法一致。"),
    ("监护人姓名", "必填", "每位监护人一行：学生有两位监护人时，同一学号写两行。"),
    ("关系", "必填", "如 母亲、父亲、祖母。"),
    ("监护人手机号", "必填", "11位大陆手机号。同一手机号在本校只建一个家长账号，兄弟姐妹共用。手机号加密保存。"),
    ("优先保障群体", "可不填", "留空表示不变；可填：" + "、".join(PRIORITY_LABELS.values()) + "。仅学校工作人员可见。"),
    ("", "", ""),
    ("导入规则", "", "整个文件有任何一处错误时不导入任何数据，页面逐行列出问题（行号、列、问题）；改好后重新导入整个文件。"),
    ("", "", "文件最大 2 MB、最多 5000 行；支持 Excel（.xlsx）和 CSV（UTF-8 或 GBK）。只读取第一张工作表。"),
    ("", "", "新家长账号没有密码：导入后请在“打印激活单”中按班级打印，家长凭激活单上的激活码在 /activate 设置密码。"),
]


def workbook(rows: list[tuple[str, ...]] | None = None) -> bytes:
    """The roster sheet (header, text-formatted number columns, a list for the priority group) with ``rows``,
    and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "名册"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
    for row in rows or []:
        sheet.append(list(row))
    last = max(500, len(rows or []) + 100)
    for letter in TEXT_COLUMNS:
        for (cell,) in sheet[f"{letter}2:{letter}{last}"]:
            cell.number_format = "@"
    for i, width in enumerate(WIDTHS):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A2"
    choices = DataValidation(type="list", formula1='"' + ",".join(PRIORITY_LABELS.values()) + '"', allow_blank=True)
    choices.add(f"H2:H{last}")
    sheet.add_data_validation(choices)
    notes = book.create_sheet("填写说明")
    for line in INSTRUCTIONS:
        notes.append(list(line))
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width, notes.column_dimensions["C"].width = 14, 10, 90
    for (cell,) in notes["C1:C20"]:
        cell.alignment = Alignment(wrap_text=True)
    notes["A1"].font = notes["B1"].font = notes["C1"].font = Font(bold=True)
    stamp = dt.datetime(2026, 9, 1)
    book.properties.creator, book.properties.created, book.properties.modified = "kehou", stamp, stamp
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def template() -> bytes:
    return workbook([])


def sample() -> bytes:
    return workbook(list(SAMPLE_ROWS))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_PATH
    target.write_bytes(sample())
    print(f"wrote {target}")
