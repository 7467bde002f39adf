"""Reading a school's roster file (Excel .xlsx or CSV) into checked rows, with every problem found.

Pure: no database. :func:`parse` raises :class:`ValidationFailed` for a problem with the file itself (too big,
too many lines, not a spreadsheet, no header) and otherwise returns every row it could read together with every
row problem (line number as the spreadsheet shows it, the column, the problem in Chinese), so that the school
fixes the whole file at once. The caller saves nothing unless there are no problems at all
(:func:`kehou.platform.students.roster.import_roster`).

One line is one (student, guardian) pair: a student with two guardians takes two lines with the same 学号;
siblings share a guardian by having the same 监护人手机号. A line whose three guardian cells are all empty
registers the student alone.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kehou.errors import ValidationFailed
from kehou.platform.students.models import GRADE_LABELS, PRIORITY_LABELS

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000  # student lines in one file
MAX_XLSX_UNCOMPRESSED = 40 * 1024 * 1024
MAX_COLUMNS = 30
MAX_TITLE_ROWS = 5  # lines above the header (a title, a date) are skipped
MAX_ERRORS = 500  # problems listed; the rest are counted
MAX_STUDENT_NO, MAX_NAME, MAX_CLASS, MAX_RELATION = 40, 50, 40, 20

#: column key -> the header the template uses (the first) and the other headers accepted
COLUMNS: dict[str, tuple[str, ...]] = {
    "student_no": ("学号", "学籍号", "学生学号", "学生编号"),
    "name": ("姓名", "学生姓名"),
    "grade": ("年级",),
    "class_name": ("班级", "班"),
    "guardian_name": ("监护人姓名", "家长姓名", "监护人"),
    "relation": ("关系", "与学生关系", "监护人关系", "与学生的关系"),
    "phone": ("监护人手机号", "手机号", "家长手机号", "监护人手机", "手机号码", "联系电话", "手机"),
    "priority": ("优先保障群体", "优先保障", "优先保障类型"),
}
REQUIRED = ("student_no", "name", "grade", "class_name", "guardian_name", "relation", "phone")
GUARDIAN = ("guardian_name", "relation", "phone")
HEADER = {key: names[0] for key, names in COLUMNS.items()}

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
STUDENT_NO_RE = re.compile(r"^[A-Za-z0-9_-]+$")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
JUNIOR = {"初一": 7, "初二": 8, "初三": 9, "七": 7, "八": 8, "九": 9}
NOT_PRIORITY = {"", "否", "无", "不属于", "非", "—", "-", "/"}
PRIORITY_ALIASES = {"残疾": "disabled", "残疾儿童": "disabled", "残疾学生": "disabled", "留守": "left_behind",
                    "留守儿童": "left_behind", "随迁": "migrant", "随迁子女": "migrant", "进城务工人员随迁子女": "migrant",
                    "经济困难": "hardship", "家庭经济困难": "hardship", "家庭经济困难学生": "hardship", "困难": "hardship"}


@dataclass(frozen=True)
class RowError:
    line: int  # as the spreadsheet numbers it (the header is usually line 1)
    column: str  # the column's Chinese header, or "" for the line as a whole
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class RosterRow:
    line: int
    student_no: str
    name: str
    grade: int
    class_name: str
    guardian_name: str
    relation: str
    phone: str  # 11 digits, or "" when the line registers the student alone
    priority_group: str | None  # a PriorityGroup value; None: not given


@dataclass
class ParsedRoster:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    more_errors: int = 0  # problems found beyond MAX_ERRORS
    has_priority: bool = False  # the file has the optional 优先保障群体 column
    lines: int = 0  # student lines read (blank lines not counted)

    def add(self, line: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(line, HEADER.get(column, column), message))
        else:
            self.more_errors += 1

    @property
    def ok(self) -> bool:
        return not self.errors and not self.more_errors


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else phone


# --- reading the file ----------------------------------------------------------------------------


def _file_error(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field="file")


def clean(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, full-width forms folded (NFKC), control characters,
    BOM and zero-width spaces removed, whitespace trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")  # Excel in China saves CSV as GBK unless told otherwise
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _file_error("无法识别CSV文件的编码，请在Excel中另存为“CSV UTF-8”或直接上传.xlsx文件。", "roster_file_encoding")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise _file_error(f"CSV文件格式有误（第{reader.line_num}行附近）：{exc}", "roster_file_unreadable") from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    unreadable = _file_error("无法读取该Excel文件，请确认是.xlsx格式且没有设置打开密码。", "roster_file_unreadable")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise unreadable from exc
    if inflated > MAX_XLSX_UNCOMPRESSED:
        limit = MAX_XLSX_UNCOMPRESSED // 1024 // 1024
        raise _file_error(f"Excel文件解压后为{inflated / 1024 / 1024:.1f} MB，超过{limit} MB的上限。"
                          "请只保留名册一张工作表、删除图片和多余格式后重新导入。", "roster_file_too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise unreadable from exc
    try:
        if not book.worksheets:
            raise unreadable
        try:
            for number, row in enumerate(book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, list(row)
        except ValidationFailed:
            raise
        except Exception as exc:
            raise unreadable from exc
    finally:
        book.close()


def read_table(filename: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(line number, cells) of the first sheet of an .xlsx file or of a CSV file (UTF-8, GB18030, UTF-16;
    comma or tab separated), after the size check."""
    if len(data) > MAX_BYTES:
        raise _file_error(f"文件大小为{len(data) / 1024 / 1024:.1f} MB，超过{MAX_BYTES // 1024 // 1024} MB的上限。"
                          "请删除无关的工作表和格式，或按年级分多次导入。", "roster_file_too_large")
    if not data.strip():
        raise _file_error("文件是空的。", "roster_file_empty")
    name = filename.lower().strip()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext in ("xls", "et") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _file_error("不支持旧版Excel（.xls）文件，请在Excel中另存为.xlsx后导入。", "roster_file_type")
    if ext in ("xlsx", "xlsm") or (ext not in ("csv", "txt") and data.startswith(b"PK\x03\x04")):
        return _xlsx_rows(data)
    if ext in ("csv", "txt", ""):
        return _csv_rows(data)
    raise _file_error(f"不支持“.{ext}”文件，只能导入Excel（.xlsx）或CSV文件。", "roster_file_type")


# --- the header ----------------------------------------------------------------------------------


def _header_key(value: Any) -> str:
    text = clean(value).strip("*＊ ")
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)  # "监护人手机号（11位）"
    return re.sub(r"\s+", "", text)


LOOKUP = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}


def _columns(row: list[Any], line: int) -> dict[str, int] | None:
    """Column positions by key, or ``None`` when the line is not a header (a title above it)."""
    found: dict[str, int] = {}
    for pos, cell in enumerate(row):
        key = LOOKUP.get(_header_key(cell))
        if key is None:
            continue
        if key in found:
            raise _file_error(f"第{line}行表头中有两列都是“{HEADER[key]}”（“{clean(row[found[key]])}”和“{clean(cell)}”），"
                              "请只保留一列。", "roster_header_invalid")
        found[key] = pos
    if len(found) < 2:
        return None
    missing = [HEADER[k] for k in REQUIRED if k not in found]
    if missing:
        raise _file_error(f"第{line}行表头缺少列：{'、'.join(missing)}。表头应为：{'、'.join(HEADER[k] for k in REQUIRED)}，"
                          "可选：优先保障群体。可下载导入模板对照。", "roster_header_invalid")
    return found


# --- one line --------------------------------------------------------------------------------------


def parse_grade(text: str) -> int | None:
    """'3', '3年级', '三年级', '初一' (7), '七年级' -> the grade 1-9; ``None`` if it is not one."""
    t = text.replace(" ", "").removesuffix("年级").removesuffix("年")
    if t.isdecimal():
        return int(t) if int(t) in GRADE_LABELS else None
    if t in JUNIOR:
        return JUNIOR[t]
    return CN_DIGITS.get(t)


def parse_priority(text: str) -> tuple[bool, str | None]:
    """(understood, group): '' or '否' -> (True, None); '留守儿童' or 'left_behind' -> (True, 'left_behind')."""
    t = text.replace(" ", "")
    if t in NOT_PRIORITY:
        return True, None
    if t in PRIORITY_LABELS:
        return True, t
    for key, label in PRIORITY_LABELS.items():
        if t == label:
            return True, key
    return (True, PRIORITY_ALIASES[t]) if t in PRIORITY_ALIASES else (False, None)


def parse_phone(text: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", text)
    return digits[3:] if digits.startswith("+86") else digits.removeprefix("0086")


def _line(out: ParsedRoster, line: int, cells: dict[str, Any]) -> RosterRow | None:
    """One line's values, each problem added to ``out``; the row when there was none."""
    text = {k: clean(v) for k, v in cells.items()}
    before = len(out.errors) + out.more_errors
    raw_no = cells.get("student_no")
    student_no = text["student_no"]
    if not student_no:
        out.add(line, "student_no", "学号不能为空")
    elif isinstance(raw_no, (int, float)) and len(student_no) >= 16:
        out.add(line, "student_no", "该单元格在Excel中是数字格式，长号码会丢失末尾数字，请把学号列设为“文本”格式后重新填写")
    elif len(student_no) > MAX_STUDENT_NO or not STUDENT_NO_RE.match(student_no):
        out.add(line, "student_no", f"学号“{student_no}”无效：只能包含字母、数字、-和_，最多{MAX_STUDENT_NO}个字符")
    name = text["name"]
    if not name:
        out.add(line, "name", "姓名不能为空")
    elif len(name) > MAX_NAME:
        out.add(line, "name", f"姓名过长（最多{MAX_NAME}个字）")
    grade = parse_grade(text["grade"])
    if not text["grade"]:
        out.add(line, "grade", "年级不能为空")
    elif grade is None:
        out.add(line, "grade", f"年级“{text['grade']}”无法识别，请填1到9的数字或“三年级”“初一”等")
    class_name = text["class_name"]
    if not class_name:
        out.add(line, "class_name", "班级不能为空")
    elif len(class_name) > MAX_CLASS:
        out.add(line, "class_name", f"班级过长（最多{MAX_CLASS}个字）")
    guardian = [text[k] for k in GUARDIAN]
    phone = ""
    if any(guardian):
        if not text["guardian_name"]:
            out.add(line, "guardian_name", "监护人姓名不能为空（本行填了监护人的其他信息）")
        elif len(text["guardian_name"]) > MAX_NAME:
            out.add(line, "guardian_name", f"监护人姓名过长（最多{MAX_NAME}个字）")
        if not text["relation"]:
            out.add(line, "relation", "关系不能为空，如 母亲、父亲、祖母")
        elif len(text["relation"]) > MAX_RELATION:
            out.add(line, "relation", f"关系过长（最多{MAX_RELATION}个字）")
        phone = parse_phone(text["phone"])
        if not text["phone"]:
            out.add(line, "phone", "监护人手机号不能为空（本行填了监护人的其他信息）")
        elif not MOBILE_RE.match(phone):
            out.add(line, "phone", f"监护人手机号“{text['phone']}”不是11位大陆手机号（应为1开头的11位数字，如 13800138000）")
    understood, priority = parse_priority(text.get("priority", ""))
    if not understood:
        out.add(line, "priority", f"优先保障群体“{text['priority']}”无法识别，应为空或以下之一："
                                  f"{'、'.join(PRIORITY_LABELS.values())}")
    if len(out.errors) + out.more_errors > before or grade is None:
        return None
    return RosterRow(line, student_no, name, grade, class_name, text["guardian_name"], text["relation"], phone, priority)


def _consistency(out: ParsedRoster) -> None:
    """Lines of the same student agree on the student; one phone number is one guardian; no line twice."""
    students: dict[str, RosterRow] = {}
    phones: dict[str, RosterRow] = {}
    pairs: dict[tuple[str, str], RosterRow] = {}
    for row in out.rows:
        first = students.setdefault(row.student_no, row)
        if first is not row:
            for key, label in (("name", "姓名"), ("grade", "年级"), ("class_name", "班级")):
                a, b = getattr(first, key), getattr(row, key)
                if a != b:
                    shown = (GRADE_LABELS[a], GRADE_LABELS[b]) if key == "grade" else (a, b)
                    out.add(row.line, key,
                            f"学号{row.student_no}在第{first.line}行的{label}是“{shown[0]}”，与本行“{shown[1]}”不一致")
            if out.has_priority and row.priority_group != first.priority_group:
                out.add(row.line, "priority", f"学号{row.student_no}在第{first.line}行的优先保障群体与本行不一致")
        if not row.phone:
            continue
        pair = pairs.setdefault((row.student_no, row.phone), row)
        if pair is not row:
            out.add(row.line, "phone", f"与第{pair.line}行重复：同一学生、同一监护人手机号只需一行")
        same = phones.setdefault(row.phone, row)
        if same is not row and same.guardian_name != row.guardian_name:
            out.add(row.line, "guardian_name", f"手机号{mask_phone(row.phone)}在第{same.line}行的监护人是“{same.guardian_name}”，"
                                               f"与本行“{row.guardian_name}”不一致（一个手机号对应一位监护人）")


def parse(filename: str, data: bytes) -> ParsedRoster:
    out = ParsedRoster()
    columns: dict[str, int] | None = None
    for number, row in read_table(filename, data):
        if not any(clean(c) for c in row):
            continue
        if columns is None:
            columns = _columns(row, number)
            if columns is None and number > MAX_TITLE_ROWS:
                raise _file_error(f"前{MAX_TITLE_ROWS}行中没有找到表头。第一行应为：{'、'.join(HEADER[k] for k in REQUIRED)}，"
                                  "可选：优先保障群体。可下载导入模板对照。", "roster_header_missing")
            if columns is not None:
                out.has_priority = "priority" in columns
            continue
        out.lines += 1
        if out.lines > MAX_ROWS:
            continue  # counted, to say exactly how many there are
        cells = {key: row[pos] if pos < len(row) else None for key, pos in columns.items()}
        parsed = _line(out, number, cells)
        if parsed is not None:
            out.rows.append(parsed)
    if columns is None:
        raise _file_error(f"文件中没有找到表头。第一行应为：{'、'.join(HEADER[k] for k in REQUIRED)}，可选：优先保障群体。",
                          "roster_header_missing")
    if out.lines > MAX_ROWS:
        raise _file_error(f"文件有{out.lines}行学生数据，超过单次导入{MAX_ROWS}行的上限，请按年级分多次导入。",
                          "roster_too_many_rows")
    if out.lines == 0:
        raise _file_error("文件中只有表头，没有学生数据。", "roster_file_empty")
    _consistency(out)
    out.errors.sort(key=lambda e: e.line)
    return out
