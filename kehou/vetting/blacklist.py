"""A county's blacklist (黑名单): import from CSV/Excel, list, remove.

Entries hold keyed hashes only (``PiiVault.keyed_hash`` of the normalised
USCC for organisations, of the resident ID number for people), plus a label
with the name and the last four characters for display. The vetting rules
match ``(kind, keyed_hash)`` pairs against the provider's USCC, its legal
representative and its staff.

Imports are **all-or-nothing**: the blacklist is an official list, and a file
imported half-way (the valid rows in, a mistyped row silently missing) would
leave the county believing someone is listed who is not. If any row is
invalid, nothing is imported and :class:`ValidationFailed`
(``blacklist_rows_invalid``) carries every row error in ``extra["errors"]``
(``[{"row": n, "message": ...}]``, spreadsheet row numbers, header = the row it
is on). A successful :class:`ImportResult` therefore always has ``errors == []``.

The header is the first row naming a known column (title rows above it are
skipped); column names may be Chinese or English, see :data:`HEADERS`.
Rows already on the county's list (same kind and identifier) count as
``unchanged`` and are left as they are; so do repeated rows within one file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kehou.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.audit import services as audit
from kehou.platform.context import Context
from kehou.platform.counties.models import Region
from kehou.platform.pii import show_last4
from kehou.platform.providers.identifiers import validate_resident_id, validate_uscc
from kehou.timeutil import clock, utcnow
from kehou.vetting.models import BlacklistEntry

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
#: an .xlsx is a zip; refuse one that inflates beyond this (zip bombs)
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_COLUMNS = 50
MAX_ERRORS_RETURNED = 200
MAX_TITLE_ROWS = 10  # rows above the header (a title, a date) are skipped
MAX_BLANK_RUN = 1000
MAX_NAME = 100
MAX_SOURCE = 200
MAX_REASON = 2000

ORGANISATION = "organisation"
PERSON = "person"

KIND_VALUES = {
    "机构": ORGANISATION, "单位": ORGANISATION, "组织": ORGANISATION, "企业": ORGANISATION,
    "organisation": ORGANISATION, "organization": ORGANISATION, "org": ORGANISATION,
    "个人": PERSON, "人员": PERSON, "自然人": PERSON, "person": PERSON, "individual": PERSON,
}

#: column -> accepted header names (compared after :func:`_header_key`)
HEADERS = {
    "kind": ("类型", "种类", "主体类型", "kind", "type"),
    "name": ("名称", "姓名", "机构名称", "单位名称", "name"),
    "identifier": ("证件号", "证件号码", "证照号码", "统一社会信用代码", "信用代码", "身份证号", "身份证号码",
                   "公民身份号码", "identifier", "id", "id_number", "uscc"),
    "reason": ("原因", "事由", "列入原因", "reason"),
    "source": ("来源", "依据", "列入依据", "source"),
}
#: an identifier header that says which kind the rows are (used when a row has no kind)
IMPLIED_KIND = {
    "统一社会信用代码": ORGANISATION, "信用代码": ORGANISATION, "uscc": ORGANISATION,
    "身份证号": PERSON, "身份证号码": PERSON, "公民身份号码": PERSON,
}

KIND_LABELS = {ORGANISATION: "机构", PERSON: "个人"}


@dataclass
class ImportResult:
    added: int
    unchanged: int
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    number: int
    kind: str
    keyed_hash: str
    label: str
    reason: str
    source: str


# --- permissions -------------------------------------------------------------------------


def _require_decider(actor: Actor, county_code: str) -> None:
    actor.require()
    if actor.role in ("platform_admin", "system"):
        return
    if actor.role != "county_staff":
        raise PermissionDenied("只有教育局有决定权限的工作人员可以维护黑名单。", code="blacklist_denied")
    actor.require_county(county_code)
    if not actor.can_decide:
        raise PermissionDenied("您没有决定权限，不能维护黑名单。", code="decide_right_required")


def _require_reader(actor: Actor, county_code: str) -> None:
    actor.require()
    if actor.role in ("platform_admin", "system"):
        return
    if actor.role != "county_staff":
        raise PermissionDenied("只有教育局工作人员可以查看黑名单。", code="blacklist_denied")
    actor.require_county(county_code)


def _require_county(session: Session, county_code: str) -> None:
    region = session.get(Region, county_code)
    if region is None or region.level != "county":
        raise NotFound("区县不存在。", code="county_unknown")


# --- reading the file --------------------------------------------------------------------


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()  # controls, BOM, zero-width


def _header_key(value: Any) -> str:
    text = _clean(value).lstrip("\ufeff").strip("*＊ ").lower()
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)  # "类型（机构/个人）", "身份证号(18位)"
    return re.sub(r"\s+", "", text).replace("-", "_")


def _decode(data: bytes) -> str:
    encodings: tuple[str, ...]
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed("无法识别CSV文件的编码，请另存为UTF-8或GB18030（GBK）编码的CSV。",
                           code="blacklist_file_encoding", field="file")


def _csv_rows(data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, row[:MAX_COLUMNS]
    except csv.Error as exc:
        raise ValidationFailed(f"CSV文件格式有误（第{reader.line_num}行附近）：{exc}",
                               code="blacklist_file_unreadable", field="file") from exc


def _xlsx_rows(data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    from openpyxl import load_workbook

    unreadable = ValidationFailed("无法读取Excel文件，请确认是.xlsx格式且未加密。",
                                  code="blacklist_file_unreadable", field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise unreadable from exc
    if inflated > MAX_XLSX_UNCOMPRESSED:
        raise ValidationFailed("Excel文件解压后过大，请只保留黑名单数据后重新导入。",
                               code="blacklist_file_too_large", field="file")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise unreadable from exc
    try:
        if not book.worksheets:
            raise unreadable
        sheet = book.worksheets[0]
        try:
            for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
                yield number, list(row)
        except ValidationFailed:
            raise
        except Exception as exc:
            raise unreadable from exc
    finally:
        book.close()


def _rows(filename: str, data: bytes) -> Generator[tuple[int, list[Any]], None, None]:
    name = filename.lower().strip()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    is_zip = data.startswith(b"PK\x03\x04")
    if ext in ("xls", "et") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationFailed("不支持旧版Excel（.xls）文件，请另存为.xlsx或CSV后导入。",
                               code="blacklist_file_type", field="file")
    if ext in ("xlsx", "xlsm") or (ext not in ("csv", "txt") and is_zip):
        return _xlsx_rows(data)
    if ext in ("csv", "txt", ""):
        return _csv_rows(data)
    raise ValidationFailed("只能导入CSV或Excel（.xlsx）文件。", code="blacklist_file_type", field="file")


def _columns(header: list[Any], number: int) -> tuple[dict[str, int], str | None] | None:
    """Column positions by role, and the kind implied by the identifier header.

    ``None`` when the row names no known column at all (a title row above the header).
    """
    lookup = {alias.lower(): role for role, aliases in HEADERS.items() for alias in aliases}
    columns: dict[str, int] = {}
    implied: str | None = None
    for pos, cell in enumerate(header):
        key = _header_key(cell)
        role = lookup.get(key)
        if role is None:
            continue
        if role in columns:
            raise ValidationFailed(f"第{number}行表头中“{_clean(cell)}”与前面的列重复，请只保留一列。",
                                   code="blacklist_header_invalid", field="file")
        columns[role] = pos
        if role == "identifier":
            implied = IMPLIED_KIND.get(key)
    if not columns:
        return None
    missing = [r for r in ("name", "identifier") if r not in columns]
    if "kind" not in columns and implied is None:
        missing.insert(0, "kind")
    if missing:
        names = {"kind": "类型", "name": "名称", "identifier": "证件号"}
        raise ValidationFailed(
            f"第{number}行表头缺少列：{'、'.join(names[m] for m in missing)}。"
            "表头应包含：类型（机构/个人）、名称、证件号（统一社会信用代码或身份证号），可选：原因、来源。",
            code="blacklist_header_invalid", field="file")
    return columns, implied


def _cell(row: list[Any], columns: dict[str, int], role: str) -> Any:
    pos = columns.get(role)
    return row[pos] if pos is not None and pos < len(row) else None


def _parse_row(ctx: Context, number: int, row: list[Any], columns: dict[str, int], implied: str | None,
               reason_default: str, source_default: str) -> _Row:
    raw_kind = _clean(_cell(row, columns, "kind"))
    if raw_kind:
        kind = KIND_VALUES.get(raw_kind.lower())
        if kind is None:
            raise ValidationFailed(f"类型“{raw_kind}”无效，应为“机构”或“个人”", code="blacklist_kind_invalid")
    elif implied is not None:
        kind = implied
    else:
        raise ValidationFailed("类型不能为空，应为“机构”或“个人”", code="blacklist_kind_invalid")
    name = _clean(_cell(row, columns, "name"))
    if not name:
        raise ValidationFailed("名称不能为空", code="field_required")
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"名称过长（最多{MAX_NAME}字）", code="field_too_long")
    raw_id = _cell(row, columns, "identifier")
    ident = _clean(raw_id)
    if not ident:
        raise ValidationFailed("证件号不能为空", code="field_required")
    try:
        value = validate_uscc(ident) if kind == ORGANISATION else validate_resident_id(ident)
    except ValidationFailed as exc:
        if isinstance(raw_id, (int, float)):
            raise ValidationFailed(
                f"{exc.message}。该单元格在Excel中是数字格式，长号码会丢失精度，请将该列设为文本格式后重新填写",
                code=exc.code) from exc
        raise
    reason = _clean(_cell(row, columns, "reason")) or reason_default
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"原因过长（最多{MAX_REASON}字）", code="field_too_long")
    source = _clean(_cell(row, columns, "source")) or source_default
    if len(source) > MAX_SOURCE:
        raise ValidationFailed(f"来源过长（最多{MAX_SOURCE}字）", code="field_too_long")
    return _Row(number=number, kind=kind, keyed_hash=ctx.vault.keyed_hash(value),
                label=f"{name}（{show_last4(value[-4:])}）", reason=reason, source=source)


def parse(ctx: Context, filename: str, data: bytes, *, reason_default: str = "",
          source_default: str = "") -> tuple[list[_Row], list[tuple[int, str]]]:
    """The valid rows and the row errors of a file (raises for a file that cannot be read at all)."""
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    columns: dict[str, int] | None = None
    implied: str | None = None
    data_rows = titles = blank_run = 0
    with closing(_rows(filename, data)) as source:
        for number, row in source:
            if not any(_clean(c) for c in row):
                blank_run += 1
                if blank_run > MAX_BLANK_RUN and columns is not None:
                    break  # sheets formatted down to row 1048576
                continue
            blank_run = 0
            if columns is None:
                found = _columns(row, number)
                if found is None:
                    titles += 1
                    if titles > MAX_TITLE_ROWS:
                        break
                    continue
                columns, implied = found
                continue
            data_rows += 1
            if data_rows > MAX_ROWS:
                raise ValidationFailed(f"文件超过{MAX_ROWS}行，请分批导入。", code="blacklist_too_many_rows", field="file")
            try:
                rows.append(_parse_row(ctx, number, row, columns, implied, reason_default, source_default))
            except ValidationFailed as exc:
                errors.append((number, exc.message))
    if columns is None and titles:
        raise ValidationFailed(
            "文件中找不到表头。表头应包含：类型（机构/个人）、名称、证件号（统一社会信用代码或身份证号），可选：原因、来源。",
            code="blacklist_header_invalid", field="file")
    if columns is None or data_rows == 0:
        raise ValidationFailed("文件中没有黑名单数据。", code="blacklist_file_empty", field="file")
    return rows, errors


# --- services ----------------------------------------------------------------------------


def import_file(ctx: Context, session: Session, actor: Actor, county_code: str, *, filename: str, data: bytes,
                reason_default: str = "") -> ImportResult:
    """Import a county's blacklist file, all or nothing; one audit entry per import."""
    _require_decider(actor, county_code)
    _require_county(session, county_code)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "upload"
    if len(data) > MAX_BYTES:
        raise ValidationFailed(f"文件超过{MAX_BYTES // (1024 * 1024)}MB，请分批导入。",
                               code="blacklist_file_too_large", field="file")
    reason_default = (reason_default or "").strip()
    rows, errors = parse(ctx, filename, data, reason_default=reason_default, source_default=filename)
    if errors:
        shown = "；".join(f"第{n}行：{m}" for n, m in errors[:5])
        more = f"等{len(errors)}处" if len(errors) > 5 else ""
        raise ValidationFailed(
            f"导入文件中有{len(errors)}行有误，未导入任何记录。{shown}{more}。请修改后重新导入整个文件。",
            code="blacklist_rows_invalid", field="file",
            extra={"errors": [{"row": n, "message": m} for n, m in errors[:MAX_ERRORS_RETURNED]],
                   "error_count": len(errors)})

    existing = {(k, h) for k, h in session.execute(
        select(BlacklistEntry.kind, BlacklistEntry.keyed_hash).where(BlacklistEntry.county_code == county_code))}
    now = utcnow()
    added = unchanged = 0
    for row in rows:
        key = (row.kind, row.keyed_hash)
        if key in existing:
            unchanged += 1
            continue
        existing.add(key)
        session.add(BlacklistEntry(county_code=county_code, kind=row.kind, keyed_hash=row.keyed_hash,
                                   label=row.label, reason=row.reason, source=row.source,
                                   imported_by=actor.user_id, imported_at=now))
        added += 1
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if _taken_meanwhile(session, county_code, {(r.kind, r.keyed_hash) for r in rows}):
            raise Conflict("另一次黑名单导入同时进行，请稍后重新导入。", code="blacklist_import_concurrent") from exc
        raise
    audit.record(session, actor, county_code=county_code, action="blacklist.import", entity_type="blacklist",
                 entity_id=county_code, reason=reason_default,
                 new={"added": added, "unchanged": unchanged, "rows": len(rows), "file": filename,
                      "sha256": hashlib.sha256(data).hexdigest()})
    session.commit()
    return ImportResult(added=added, unchanged=unchanged, errors=[])


def _taken_meanwhile(session: Session, county_code: str, keys: set[tuple[str, str]]) -> bool:
    """After a failed insert: did a concurrent import add some of these entries?"""
    present = session.execute(select(BlacklistEntry.kind, BlacklistEntry.keyed_hash).where(
        BlacklistEntry.county_code == county_code))
    taken = any((k, h) in keys for k, h in present)
    session.rollback()
    return taken


def listed_on(day: dt.date) -> Any:
    """A SQL condition: the entry is in force on ``day`` (an exit's blacklisting has an end)."""
    return or_(BlacklistEntry.expires_on.is_(None), BlacklistEntry.expires_on >= day)


def organisation_listed(ctx: Context, session: Session, county_code: str, uscc: str) -> BlacklistEntry | None:
    """The county's entry in force today for this organisation, if any."""
    return session.scalars(select(BlacklistEntry).where(
        BlacklistEntry.county_code == county_code, BlacklistEntry.kind == "organisation",
        BlacklistEntry.keyed_hash == ctx.vault.keyed_hash(uscc), listed_on(clock.today_local()))).first()


def list_entries(session: Session, actor: Actor, county_code: str) -> list[BlacklistEntry]:
    """The county's blacklist, newest first (county staff of that county, platform admin)."""
    _require_reader(actor, county_code)
    return list(session.scalars(select(BlacklistEntry).where(BlacklistEntry.county_code == county_code)
                                .order_by(BlacklistEntry.imported_at.desc(), BlacklistEntry.id.desc())))


def remove(session: Session, actor: Actor, entry_id: int, reason: str, *,
           county_code: str | None = None) -> None:
    """Delete one entry (decision-maker of its county, with a reason). The audit keeps what it was."""
    actor.require()
    if actor.role not in ("county_staff", "platform_admin"):  # before the lookup: ids are not disclosed
        raise PermissionDenied("只有教育局有决定权限的工作人员可以维护黑名单。", code="blacklist_denied")
    entry = session.get(BlacklistEntry, entry_id)
    foreign = entry is not None and actor.role == "county_staff" and actor.county_code != entry.county_code
    if entry is None or foreign or (county_code is not None and entry.county_code != county_code):
        raise NotFound("黑名单记录不存在。", code="blacklist_entry_not_found")
    _require_decider(actor, entry.county_code)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("移出黑名单必须说明理由。", code="reason_required", field="reason")
    old = {"kind": entry.kind, "label": entry.label, "keyed_hash": entry.keyed_hash, "reason": entry.reason,
           "source": entry.source, "imported_by": entry.imported_by, "imported_at": entry.imported_at}
    county = entry.county_code
    session.delete(entry)
    session.flush()
    audit.record(session, actor, county_code=county, action="blacklist.remove", entity_type="blacklist_entry",
                 entity_id=entry_id, reason=reason, old=old)
    session.commit()


def entry_out(entry: BlacklistEntry) -> dict[str, Any]:
    """What the API shows of an entry: never the keyed hash."""
    return {"id": entry.id, "kind": entry.kind, "kind_label": KIND_LABELS.get(entry.kind, entry.kind),
            "label": entry.label, "reason": entry.reason, "source": entry.source,
            "imported_at": entry.imported_at.isoformat(),
            "expires_on": entry.expires_on.isoformat() if entry.expires_on else None}
