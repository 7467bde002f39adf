"""Reading a bank statement (CSV or .xlsx) into lines. Pure: no database.

The header is the first row naming at least two known columns (title rows above it, such as the
account number or the period, are skipped); names are compared after removing spaces and anything
in brackets, so "收入金额（元）" is "收入金额". See :data:`HEADERS`.

A whole-file problem (type, encoding, columns, size) raises :class:`ValidationFailed` and nothing is
imported. A row that cannot be stored (no transaction id, a date or amount that cannot be read, a
fraction of a fen) is returned as :class:`Rejected` with its spreadsheet row number; fixing it and
importing the file again adds it (the lines already stored count as duplicates).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from kehou.errors import KehouError, ValidationFailed

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5000
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024  # an .xlsx is a zip: refuse one that inflates beyond this
MAX_COLUMNS = 60
MAX_TITLE_ROWS = 20
MAX_BLANK_RUN = 1000  # sheets formatted down to row 1048576
MAX_TXN_ID = 80  # OfflineStatementLine.bank_txn_id
MAX_PAYER = 100
MAX_REFERENCE = 200
MAX_STORABLE_FEN = 2**31 - 1  # an Integer column

#: The alphabet of bill references ("KH" + 10 of these; billing's bills.ALPHABET).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CANDIDATE = re.compile(f"(?=(KH[{REFERENCE_ALPHABET}]{{10}}))")
_MAX_CANDIDATES = 5

#: role -> accepted header names (compared after :func:`header_key`)
HEADERS: dict[str, tuple[str, ...]] = {
    "txn": ("交易流水号", "流水号", "银行流水号", "交易流水", "bank_txn_id"),
    "date": ("交易日期", "日期", "入账日期", "记账日期", "paid_on", "date"),
    "amount": ("金额", "收入金额", "交易金额", "贷方金额", "贷方发生额", "收入", "amount"),
    "payer": ("付款人", "对方户名", "付款人名称", "付款方户名", "对方账户名称", "对方名称", "缴款人", "payer"),
    "note": ("附言", "摘要", "用途", "备注", "交易附言", "note"),
}
REQUIRED = ("txn", "date", "amount", "note")
ROLE_NAMES = {"txn": "交易流水号", "date": "交易日期", "amount": "金额", "payer": "付款人", "note": "附言/摘要/用途"}
#: roles that may have several columns (their text is joined): a statement often has both 摘要 and 用途
MULTI = {"note"}


class StatementTooLarge(KehouError):
    status_code = 413
    code = "statement_too_large"


@dataclass(frozen=True)
class Line:
    row: int
    bank_txn_id: str
    paid_on: dt.date
    amount_fen: int  # 0 when the amount cell is empty (an outgoing line of a statement with 收入/支出 columns)
    payer: str
    note: str  # the 附言/摘要/用途 text in full


@dataclass(frozen=True)
class Rejected:
    row: int
    problem: str


@dataclass(frozen=True)
class Statement:
    lines: list[Line]
    rejected: list[Rejected]

    @property
    def rows(self) -> int:
        return len(self.lines) + len(self.rejected)


class RowProblem(ValueError):
    """A row that cannot be stored; the message is for people."""


# --- cells -------------------------------------------------------------------------------


def clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()  # controls, BOM, zero-width


def header_key(value: Any) -> str:
    text = clean(value).strip("*＊ ").lower()
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)
    return re.sub(r"\s+", "", text)


def normalise_txn_id(value: Any) -> str:
    """A bank transaction id as stored and compared: NFKC, no spaces, upper case (the same id typed by
    hand and read from the statement must be equal, or the payment would be recorded twice)."""
    return re.sub(r"\s+", "", clean(value)).upper()


def txn_id(value: Any) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        if not value.is_integer():
            raise RowProblem("交易流水号格式不正确。")
        if abs(value) >= 1e15:
            raise RowProblem("交易流水号在Excel中是数字格式，长号码已丢失精度，请将该列设为文本格式后重新导出。")
    text = normalise_txn_id(value)
    if not text:
        raise RowProblem("缺少交易流水号。")
    if len(text) > MAX_TXN_ID:
        raise RowProblem(f"交易流水号过长（最多{MAX_TXN_ID}个字符）。")
    return text


def amount_fen(value: Any) -> int:
    """Yuan to fen, exactly (Decimal): "300.00" → 30000, "1,200" → 120000, "(50.00)" → -5000; an empty cell → 0.
    A fraction of a fen is refused, never rounded."""
    if value is None or isinstance(value, bool):
        if value is None:
            return 0
        raise RowProblem("金额不是数字。")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text of the float: what the cell shows
    elif isinstance(value, Decimal):
        number = value
    else:
        text = re.sub(r"[\s,¥￥元]|RMB|CNY", "", clean(value), flags=re.IGNORECASE)
        if not text:
            return 0
        if re.fullmatch(r"\(.*\)", text):
            text = "-" + text[1:-1]
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise RowProblem(f"金额“{clean(value)[:20]}”不是数字。")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise RowProblem(f"金额“{clean(value)[:20]}”不是数字。") from None
    if not number.is_finite():
        raise RowProblem("金额不是数字。")
    fen = number * 100
    if fen != fen.to_integral_value():
        raise RowProblem(f"金额{number}元不是整分（不能有分以下的小数）。")
    if abs(fen) > MAX_STORABLE_FEN:
        raise RowProblem(f"金额{number}元过大。")
    return int(fen)


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?!\d)")


def paid_on(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    if not text:
        raise RowProblem("缺少交易日期。")
    m = _DATE.match(text) or _DATE_COMPACT.match(text)
    try:
        if m is None:
            raise ValueError
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise RowProblem(f"交易日期“{text[:20]}”无法识别（应为 2026-09-01 这样的日期）。") from None


def references(text: str) -> list[str]:
    """Bill references ("KH" + 10 characters) found in a transfer note, in order, without repeats. Case,
    full-width characters and spaces or hyphens inside the reference are forgiven; every overlapping
    candidate is returned (the caller keeps the ones that are bills)."""
    upper = unicodedata.normalize("NFKC", text or "").upper()
    squeezed = re.sub(r"[\s\-_]+", "", upper)
    found = [m.group(1) for source in (upper, squeezed) for m in _CANDIDATE.finditer(source)]
    return list(dict.fromkeys(found))[:_MAX_CANDIDATES]


# --- files -------------------------------------------------------------------------------

_UNREADABLE_CSV = "无法读取CSV文件，请另存为UTF-8或GBK编码的CSV后重新导入。"
_UNREADABLE_XLSX = "无法读取Excel文件，请确认是.xlsx格式且未加密。"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    elif b"\x00" in data:
        raise ValidationFailed(_UNREADABLE_CSV, code="statement_unreadable", field="file")
    else:
        encodings = ("utf-8", "gb18030")  # GB18030 is a superset of GBK
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_UNREADABLE_CSV, code="statement_unreadable", field="file")


def _csv_rows(data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise ValidationFailed(f"CSV文件格式有误（第{reader.line_num}行附近）。", code="statement_unreadable",
                               field="file") from exc


def _xlsx_rows(data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    from openpyxl import load_workbook

    unreadable = ValidationFailed(_UNREADABLE_XLSX, code="statement_unreadable", field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise unreadable from exc
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise StatementTooLarge("Excel文件解压后过大，请只保留流水数据后重新导入。", field="file")
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
        except KehouError:
            raise
        except Exception as exc:
            raise unreadable from exc
    finally:
        book.close()


def _rows(filename: str, data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    name = (filename or "").lower().strip()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext in ("xls", "et") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed("不支持旧版Excel（.xls）文件，请另存为.xlsx或CSV后导入。", code="statement_file_type",
                               field="file")
    if ext in ("xlsx", "xlsm") or (ext == "" and data.startswith(b"PK\x03\x04")):
        return _xlsx_rows(data)
    if ext in ("csv", "txt", ""):
        return _csv_rows(data)
    raise ValidationFailed("只能导入CSV或Excel（.xlsx）格式的银行流水。", code="statement_file_type", field="file")


def _columns(header: list[Any], number: int) -> dict[str, list[int]] | None:
    """Column positions by role; ``None`` for a row naming fewer than two known columns (a title row)."""
    lookup = {header_key(alias): role for role, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, list[int]] = {}
    for pos, cell in enumerate(header):
        role = lookup.get(header_key(cell))
        if role is None:
            continue
        if role in columns and role not in MULTI:
            raise ValidationFailed(f"第{number}行表头中“{clean(cell)}”与前面的{ROLE_NAMES[role]}列重复，请只保留一列。",
                                   code="statement_columns", field="file")
        columns.setdefault(role, []).append(pos)
    if len(columns) < 2:
        return None
    missing = [ROLE_NAMES[r] for r in REQUIRED if r not in columns]
    if missing:
        raise ValidationFailed(f"第{number}行表头缺少列：{'、'.join(missing)}。" + COLUMNS_HELP,
                               code="statement_columns", field="file")
    return columns


COLUMNS_HELP = ("表头须包含：交易流水号（或流水号）、交易日期（或日期）、金额（或收入金额，单位元）、"
                "附言（或摘要、用途），可选：付款人（或对方户名）。")


def _cell(row: list[Any], pos: int) -> Any:
    return row[pos] if pos < len(row) else None


def _line(number: int, row: list[Any], columns: dict[str, list[int]]) -> Line:
    def one(role: str) -> Any:
        return _cell(row, columns[role][0]) if role in columns else None

    note = " ".join(t for t in (clean(_cell(row, p)) for p in columns["note"]) if t)
    return Line(row=number, bank_txn_id=txn_id(one("txn")), paid_on=paid_on(one("date")), amount_fen=amount_fen(one("amount")),
                payer=clean(one("payer"))[:MAX_PAYER], note=note)


def parse(filename: str, data: bytes) -> Statement:
    """The lines of a statement file and the rows that cannot be stored; raises for a file that cannot be
    imported at all."""
    if len(data) > MAX_BYTES:
        raise StatementTooLarge(f"文件超过{MAX_BYTES // (1024 * 1024)}MB，请按日期分批导出后导入。", field="file")
    if not data.strip():
        raise ValidationFailed("文件是空的。", code="statement_empty", field="file")
    lines: list[Line] = []
    rejected: list[Rejected] = []
    columns: dict[str, list[int]] | None = None
    titles = blank_run = 0
    with closing(_rows(filename, data)) as source:
        for number, row in source:
            if not any(clean(c) for c in row):
                blank_run += 1
                if blank_run > MAX_BLANK_RUN and columns is not None:
                    break
                continue
            blank_run = 0
            if columns is None:
                columns = _columns(row, number)
                if columns is None:
                    titles += 1
                    if titles > MAX_TITLE_ROWS:
                        break
                continue
            if len(lines) + len(rejected) >= MAX_LINES:
                raise StatementTooLarge(f"文件超过{MAX_LINES}行流水，请按日期分批导出后导入。",
                                        code="statement_too_many_lines", field="file")
            try:
                lines.append(_line(number, row, columns))
            except RowProblem as exc:
                rejected.append(Rejected(number, str(exc)))
    if columns is None:
        raise ValidationFailed("文件中找不到表头。" + COLUMNS_HELP, code="statement_columns", field="file")
    if not lines and not rejected:
        raise ValidationFailed("文件中没有流水记录。", code="statement_empty", field="file")
    return Statement(lines, rejected)
