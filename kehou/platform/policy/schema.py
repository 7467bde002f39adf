"""Every setting's value checked against its declared shape before it is stored.

The shape is what the :class:`~kehou.pluginapi.SettingSpec` already says to draw its form: its ``type``, its
``choices`` (or ``choices_of``, the allowed values that depend on other settings of the same scope, such as the
county's organisation types), its list ``items`` type and its ``columns``. A value that would do nothing, or not
what it seems to say, is refused with a Chinese message naming the field:

- an object with a key that is not one of its columns, or a column that does not apply to the row's kind
  (``only_for``: the first column of a table is the row's kind, e.g. ``percent`` on an absence refund rule);
- a missing required field, a value of the wrong type (``true`` where a number is wanted, ``"7"`` in JSON);
- a value that is not among the choices (an unknown organisation type);
- the same value twice where each may appear once (``unique`` columns: two refund rules of one kind, two waiver
  tiers with one code; any repeated item in a list of words or choices);
- a date that is not a date.

Then the spec's own ``check`` judges what the shape cannot (ranges, sums, order). Every refusal has the code
``setting_invalid``, like a ``check``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kehou.errors import ValidationFailed
from kehou.pluginapi import SettingColumn, SettingSpec

MESSAGES = {
    "unknown_key": "{where}没有「{key}」这一项（可填：{allowed}）。",
    "not_for_kind": "{where}「{label}」（{key}）不适用于「{kind}」，请删除。",
    "missing": "{where}缺少「{label}」（{key}）。",
    "type": "{where}「{label}」应为{wanted}。",
    "choice": "{where}「{label}」不能取「{value}」（可选：{allowed}）。",
    "duplicate": "{where}「{label}」中「{value}」重复，每个只能出现一次。",
    "not_object": "{where}应为一个对象（含{allowed}）。",
    "not_list": "「{label}」应为一个列表。",
    "not_mapping": "「{label}」应为一个对象（键值对）。",
}
TYPE_WORDS = {int: "整数", bool: "是或否（true/false）", str: "文字", dt.date: "日期（年-月-日）", list: "列表",
              dict: "对象"}
ROW = "第{n}项"


def _fail(template: str, **kw: Any) -> ValidationFailed:
    return ValidationFailed(MESSAGES[template].format(**kw), code="setting_invalid", field="value")


def _labels(choices: Mapping[str, str] | tuple[str, ...]) -> str:
    if isinstance(choices, Mapping):
        return "、".join(f"{v}（{k}）" if str(k) != str(v) else str(v) for k, v in choices.items())
    return "、".join(map(str, choices))


def _scalar(value: Any, type_: type, where: str, label: str) -> Any:
    """``value`` as ``type_`` or a refusal; dates are kept as ``YYYY-MM-DD`` text (JSON has no date)."""
    if type_ is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif type_ is bool:
        if isinstance(value, bool):
            return value
    elif type_ is str:
        if isinstance(value, str):
            return value
    elif type_ is dt.date:
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
    raise _fail("type", where=where, label=label, wanted=TYPE_WORDS.get(type_, type_.__name__))


def _choose(value: Any, choices: Mapping[str, str] | tuple[str, ...], where: str, label: str) -> None:
    if choices and str(value) not in {str(c) for c in choices}:
        raise _fail("choice", where=where, label=label, value=value, allowed=_labels(choices))


def _no_repeats(values: list[Any], where: str, label: str) -> None:
    seen: set[str] = set()
    for v in values:
        key = repr(v)
        if key in seen:
            raise _fail("duplicate", where=where, label=label, value=v)
        seen.add(key)


def _object(item: Any, columns: tuple[SettingColumn, ...], where: str, *, table: bool = True) -> dict[str, Any]:
    """One row of a table (``table``: its first column is the row's kind) or a record: known keys only, each of
    its type, only those for the row's kind."""
    allowed = "、".join(f"{c.label}（{c.key}）" for c in columns)
    if not isinstance(item, dict):
        raise _fail("not_object", where=where, allowed=allowed)
    by_key = {c.key: c for c in columns}
    for key in item:
        if key not in by_key:
            raise _fail("unknown_key", where=where, key=key, allowed=allowed)
    kind_column = columns[0]
    kind = item.get(kind_column.key) if table else None
    kind_words = dict(kind_column.choices).get(str(kind), kind) if isinstance(kind_column.choices, Mapping) else kind
    out: dict[str, Any] = {}
    for c in columns:
        applies = not c.only_for or kind in c.only_for
        if c.key not in item:
            if applies and not c.optional:
                raise _fail("missing", where=where, label=c.label, key=c.key)
            continue
        if not applies:
            raise _fail("not_for_kind", where=where, label=c.label, key=c.key, kind=kind_words)
        out[c.key] = _column(item[c.key], c, where)
    return out


def _column(value: Any, c: SettingColumn, where: str) -> Any:
    if c.type is list:
        if not isinstance(value, list):
            raise _fail("type", where=where, label=c.label, wanted=TYPE_WORDS[list])
        if c.columns:
            rows = [_object(v, c.columns, f"{where}「{c.label}」第{i}档") for i, v in enumerate(value, start=1)]
            _unique_columns(rows, c.columns, f"{where}「{c.label}」")
            return rows
        items = [_scalar(v, str, where, c.label) for v in value]
        for v in items:
            _choose(v, c.choices, where, c.label)
        _no_repeats(items, where, c.label)
        return items
    typed = _scalar(value, c.type, where, c.label)
    _choose(typed, c.choices, where, c.label)
    return typed


def _unique_columns(rows: list[dict[str, Any]], columns: tuple[SettingColumn, ...], where: str) -> None:
    for c in columns:
        if c.unique:
            _no_repeats([r[c.key] for r in rows if c.key in r], where, c.label)


def _more_keys(spec: SettingSpec, choices: Mapping[str, str] | tuple[str, ...]) -> list[SettingColumn]:
    """A record keyed by choices (documents by organisation type): the keys beyond its declared columns that the
    scope's choices allow, shaped like its first column, optional."""
    template = spec.columns[0]
    labels = dict(choices) if isinstance(choices, Mapping) else {c: c for c in choices}
    declared = {c.key for c in spec.columns}
    return [SettingColumn(k, str(label), template.type, choices=template.choices, optional=True)
            for k, label in labels.items() if k not in declared]


def validate(spec: SettingSpec, value: Any, others: Mapping[str, Any] | None = None) -> Any:
    """``value`` checked against the shape of ``spec`` (see the module docstring); ``others``: the settings in force
    for the same scope on the same date, for ``choices_of``. Returns the value as stored. A refusal's message
    starts with the setting's name."""
    try:
        return _validate(spec, value, others)
    except ValidationFailed as err:
        if err.message.startswith(f"「{spec.label}」"):
            raise
        raise ValidationFailed(f"「{spec.label}」{err.message}", code=err.code, field=err.field) from None


def _validate(spec: SettingSpec, value: Any, others: Mapping[str, Any] | None) -> Any:
    choices = spec.choices_of(others or {}) if spec.choices_of is not None else spec.choices
    if spec.type is list:
        if not isinstance(value, list):
            raise _fail("not_list", label=spec.label)
        if spec.columns:
            rows = [_object(v, spec.columns, ROW.format(n=i)) for i, v in enumerate(value, start=1)]
            _unique_columns(rows, spec.columns, "")
            return rows
        items = [_scalar(v, spec.items, ROW.format(n=i), spec.label) for i, v in enumerate(value, start=1)]
        for i, v in enumerate(items, start=1):
            _choose(v, choices, ROW.format(n=i), spec.label)
        _no_repeats(items, "", spec.label)
        return items
    if spec.type is dict and spec.columns:
        if not isinstance(value, dict):
            raise _fail("not_mapping", label=spec.label)
        key_column = next((c for c in spec.columns if c.key == "*"), None)
        if key_column is None:
            return _object(value, (*spec.columns, *_more_keys(spec, choices)), "", table=False)
        others_cols = [c for c in spec.columns if c.key != "*"]
        out: dict[str, Any] = {}
        for key, v in value.items():
            where = f"「{key}」："
            if len(others_cols) == 1:
                out[key] = _column(v, others_cols[0], where)
            elif not isinstance(v, list) or len(v) != len(others_cols):
                raise _fail("type", where=where, label=key_column.label,
                            wanted="、".join(c.label for c in others_cols) + f"（{len(others_cols)}项的列表）")
            else:
                out[key] = [_column(x, c, where) for x, c in zip(v, others_cols, strict=True)]
        return out
    if spec.type is str and spec.choices_of is not None:
        _choose(value, choices, "", spec.label)
    return value
