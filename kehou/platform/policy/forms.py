"""From the settings page's form to a setting's value, by the kind of setting (see :func:`kind_of`).

Input names: ``value`` for a single value (repeated for checkboxes); ``value.<column>`` for the fixed keys of an
object; ``value.<row>.<column>`` for the rows of a table (``value.<row>.remove`` drops the row), and
``value.<row>.<column>.<sub-row>.<sub-column>`` for a table inside a cell. A problem names the input it is about,
so the page puts the message beside it."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from kehou.errors import ValidationFailed
from kehou.platform.policy.text import ERRORS, UNITS
from kehou.pluginapi import SettingColumn, SettingSpec

#: the editors: yes_no, number, money, choice, text, checks, lines, table, record, mapping, json
Kind = str
MONEY = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
WORD_SPLIT = re.compile(r"[、,，;；\n]+")


def kind_of(spec: SettingSpec | SettingColumn) -> Kind:
    if spec.type is bool:
        return "yes_no"
    if spec.type is int:
        if spec.choices:
            return "choice"
        return "money" if spec.unit == "fen" else "number"
    if spec.type is dt.date:
        return "date"
    if spec.type is str:
        return "choice" if spec.choices else "text"
    if spec.type is list:
        if spec.columns:
            return "table"
        if spec.choices:
            return "checks"
        return "lines" if isinstance(spec, SettingSpec) else "words"
    if spec.type is dict and spec.columns:
        return "mapping" if any(c.key == "*" for c in spec.columns) else "record"
    return "json"


def choice_items(spec: SettingSpec | SettingColumn) -> list[tuple[str, str]]:
    """(value, label) of each allowed value, in the declared order."""
    if isinstance(spec.choices, Mapping):
        return [(str(k), str(v)) for k, v in spec.choices.items()]
    return [(str(c), str(c)) for c in spec.choices]


def unit_words(unit: str | None) -> str:
    return UNITS.get(unit, unit) if unit else ""


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def yuan_to_fen(raw: str, label: str, name: str) -> int:
    text = raw.strip().replace(",", "").replace("，", "").removesuffix("元").strip().lstrip("¥￥").strip()
    if not MONEY.match(text):
        raise ValidationFailed(ERRORS["money"].format(label=label), code="setting_money_invalid", field=name)
    try:
        return int(Decimal(text) * 100)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValidationFailed(ERRORS["money"].format(label=label), code="setting_money_invalid", field=name) from None


def _all(form: Mapping[str, Any], name: str) -> list[str]:
    value = form.get(name, [])
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _one(form: Mapping[str, Any], name: str) -> str:
    given = _all(form, name)
    return given[-1].strip() if given else ""


def _integer(raw: str, label: str, unit: str | None, name: str) -> int:
    text = raw.strip()
    if not re.fullmatch(r"-?\d{1,12}", text):
        suffix = f"（单位：{unit_words(unit)}）" if unit else ""
        raise ValidationFailed(ERRORS["integer"].format(label=label, unit=suffix), code="setting_integer_invalid", field=name)
    return int(text)


def _scalar(spec: SettingSpec | SettingColumn, form: Mapping[str, Any], name: str, label: str) -> tuple[bool, Any]:
    """(blank, value) of a one-input value; a blank input gives (True, None)."""
    kind = kind_of(spec)
    if kind in ("checks", "words"):
        given = [v.strip() for v in _all(form, name) if v.strip()]
        if kind == "words":
            given = [w.strip() for v in given for w in WORD_SPLIT.split(v) if w.strip()]
        return (not given, given)
    raw = _one(form, name)
    if raw == "":
        return True, {"text": "", "lines": []}.get(kind)
    if kind == "yes_no":
        if raw not in ("true", "false"):
            raise ValidationFailed(ERRORS["yes_no"].format(label=label), code="setting_yes_no", field=name)
        return False, raw == "true"
    if kind == "money":
        return False, yuan_to_fen(raw, label, name)
    if kind == "number":
        return False, _integer(raw, label, spec.unit, name)
    if kind == "date":
        try:
            return False, dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValidationFailed(ERRORS["date"].format(label=label), code="setting_date_invalid", field=name) from None
    if kind == "choice":
        if raw not in {v for v, _ in choice_items(spec)}:
            raise ValidationFailed(ERRORS["choice"].format(label=label), code="setting_choice", field=name)
        return False, int(raw) if spec.type is int else raw
    if kind == "lines":
        return False, [line.strip() for line in raw.splitlines() if line.strip()]
    return False, raw


def _row_indexes(form: Mapping[str, Any], prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.")
    return sorted({int(m.group(1)) for name in form if (m := pattern.match(name))})


def _cell(column: SettingColumn, form: Mapping[str, Any], name: str, where: str) -> tuple[bool, Any]:
    if column.type is list and column.columns:
        rows = _table(column.columns, form, name, ERRORS["sub_row"])
        return (not rows, rows)
    return _scalar(column, form, name, where + column.label)


def _table(columns: tuple[SettingColumn, ...], form: Mapping[str, Any], prefix: str, row_words: str) -> list[Any]:
    """The filled, not removed rows of a table, as objects (rows of a ``"*"`` mapping come back as pairs)."""
    out: list[Any] = []
    for i in _row_indexes(form, prefix):
        if _one(form, f"{prefix}.{i}.remove"):
            continue
        where = row_words.format(n=len(out) + 1)
        cells = {c.key: _cell(c, form, f"{prefix}.{i}.{c.key}", where) for c in columns}
        if all(blank for blank, _ in cells.values()):
            continue
        item: dict[str, Any] = {}
        kind = cells[columns[0].key][1]
        for c in columns:
            blank, value = cells[c.key]
            if blank and not c.optional and (not c.only_for or kind in c.only_for):
                raise ValidationFailed(ERRORS["required"].format(label=where + c.label), code="setting_required",
                                       field=_first_input(c, f"{prefix}.{i}.{c.key}"))
            if not blank:
                item[c.key] = value
        out.append(item)
    return out


def _first_input(column: SettingColumn, name: str) -> str:
    if column.type is list and column.columns:
        return f"{name}.0.{column.columns[0].key}"
    return name


def parse(spec: SettingSpec, form: Mapping[str, Any]) -> Any:
    """The value the form asks for, typed as the setting stores it (not yet checked against its rules)."""
    kind = kind_of(spec)
    if kind == "table":
        return _table(spec.columns, form, "value", ERRORS["row"])
    if kind == "record":
        record: dict[str, Any] = {}
        for c in spec.columns:
            blank, value = _cell(c, form, f"value.{c.key}", "")
            if blank and not c.optional and kind_of(c) not in ("checks", "words"):
                raise ValidationFailed(ERRORS["required"].format(label=c.label), code="setting_required",
                                       field=f"value.{c.key}")
            if not blank or kind_of(c) in ("checks", "words"):
                record[c.key] = value if not blank else []
        return record
    if kind == "mapping":
        return _mapping(spec, form)
    if kind == "json":
        return parse_json(_one(form, "json"))
    blank, value = _scalar(spec, form, "value", spec.label)
    if blank and kind in ("number", "money", "yes_no", "choice"):
        raise ValidationFailed(ERRORS["required"].format(label=spec.label), code="setting_required", field="value")
    return value


def _mapping(spec: SettingSpec, form: Mapping[str, Any]) -> dict[str, Any]:
    key_column = next(c for c in spec.columns if c.key == "*")
    others = [c for c in spec.columns if c.key != "*"]
    out: dict[str, Any] = {}
    for row in _table(spec.columns, form, "value", ERRORS["row"]):
        key = row["*"]
        if key in out:
            raise ValidationFailed(ERRORS["duplicate"].format(label=key_column.label, key=key), code="setting_duplicate",
                                   field="value")
        values = [row.get(c.key) for c in others]
        out[key] = values[0] if len(others) == 1 else values
    return out


def _unordered(spec: SettingSpec | SettingColumn, value: Any) -> Any:
    if kind_of(spec) == "checks" and isinstance(value, list):
        return sorted(map(str, value))
    if kind_of(spec) == "record" and isinstance(value, dict):
        columns = {c.key: c for c in spec.columns}
        return {k: _unordered(columns[k], v) if k in columns else v for k, v in value.items()}
    return value


def same(spec: SettingSpec, old: Any, new: Any) -> bool:
    """Whether ``new`` says what ``old`` says: ticked boxes come back in the page's order, not the stored one."""
    return bool(old == new or _unordered(spec, old) == _unordered(spec, new))


def parse_json(raw: str, name: str = "json") -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ValidationFailed(ERRORS["json"], code="setting_json_invalid", field=name) from None


def first_input(spec: SettingSpec) -> str:
    """The input a problem with the whole value is shown beside."""
    return "json" if kind_of(spec) == "json" else "value"
