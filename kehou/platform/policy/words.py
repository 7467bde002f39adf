"""A setting's value in words for people: 是/否, money in yuan, the labels of choices, one line per row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kehou.platform.policy.forms import choice_items, fen_to_yuan, kind_of, unit_words
from kehou.platform.policy.text import TEXT
from kehou.pluginapi import SettingColumn, SettingSpec


def _label(spec: SettingSpec | SettingColumn, value: Any) -> str:
    labels = dict(choice_items(spec))
    return labels.get(str(value), str(value))


def number(spec: SettingSpec | SettingColumn, value: Any) -> str:
    """One number with its unit: ``600.00 元``, ``3 个工作日``, ``50%``."""
    if not isinstance(value, int) or isinstance(value, bool):
        return str(value)
    if spec.unit == "fen":
        return f"{fen_to_yuan(value)} 元"
    if spec.unit == "percent":
        return f"{value}%"
    unit = unit_words(spec.unit)
    return f"{value} {unit}" if unit else str(value)


def _scalar(spec: SettingSpec | SettingColumn, value: Any) -> str:
    kind = kind_of(spec)
    if value is None:
        return TEXT["none"]
    if kind == "yes_no":
        return TEXT["yes"] if value is True else TEXT["no"] if value is False else str(value)
    if kind in ("number", "money"):
        return number(spec, value)
    if kind == "choice":
        return _label(spec, value)
    if kind in ("checks", "lines", "words"):
        items = [_label(spec, v) for v in value] if isinstance(value, list) else [str(value)]
        return "、".join(items) if items else TEXT["none"]
    if kind == "table" and isinstance(spec, SettingColumn):
        rows = [_object(spec.columns, v) for v in value] if isinstance(value, list) else []
        return "；".join(f"（{r}）" for r in rows) if rows else TEXT["none"]
    if kind == "text" or kind == "date":
        return str(value) if value != "" else TEXT["empty"]
    return json.dumps(value, ensure_ascii=False)


def _object(columns: tuple[SettingColumn, ...], obj: Any) -> str:
    if not isinstance(obj, Mapping):
        return json.dumps(obj, ensure_ascii=False)
    known = {c.key for c in columns}
    parts = [f"{c.label}：{_scalar(c, obj[c.key])}" for c in columns if c.key in obj]
    parts += [f"{k}：{json.dumps(v, ensure_ascii=False)}" for k, v in obj.items() if k not in known]
    return "，".join(parts)


def words(spec: SettingSpec, value: Any) -> list[str]:
    """The value as lines of text (one line for a single value, one per row for a table)."""
    kind = kind_of(spec)
    if kind == "table":
        rows = [_object(spec.columns, item) for item in value] if isinstance(value, list) else []
        return rows or [TEXT["none"]]
    if kind == "record":
        return [_object(spec.columns, value)]
    if kind == "mapping" and isinstance(value, Mapping):
        key_column = next(c for c in spec.columns if c.key == "*")
        others = [c for c in spec.columns if c.key != "*"]
        out = []
        for key, v in value.items():
            values = [v] if len(others) == 1 else list(v) if isinstance(v, list) else [v]
            parts = "，".join(f"{c.label}：{_scalar(c, x)}" for c, x in zip(others, values, strict=False))
            out.append(f"{key_column.label}「{_label(key_column, key)}」：{parts}")
        return out or [TEXT["none"]]
    return [_scalar(spec, value)]


def diff(spec: SettingSpec, old: Any, new: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The old and the new value as lines marked ``same``, ``removed`` (old only) or ``added`` (new only); a
    single value is not marked."""
    before, after = words(spec, old), words(spec, new)
    if len(before) == 1 and len(after) == 1:  # one value for another: nothing to mark line by line
        return [(before[0], "same")], [(after[0], "same")]
    return ([(line, "same" if line in after else "removed") for line in before],
            [(line, "same" if line in before else "added") for line in after])
