"""What the settings page's form shows for a setting and a value: one :class:`Field` per input, tables of rows
with blank rows to add (templates/settings_editors.html draws them; forms.py reads them back)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kehou.platform.policy.forms import choice_items, fen_to_yuan, kind_of, unit_words
from kehou.pluginapi import SettingColumn, SettingSpec

BLANK_ROWS = 2


@dataclass
class Table:
    prefix: str
    headers: list[tuple[str, str]]  # (label, unit)
    rows: list[Row]


@dataclass
class Row:
    index: int
    cells: list[Field]
    blank: bool  # a row to fill in (new)


@dataclass
class Field:
    name: str
    kind: str
    label: str = ""
    value: str = ""
    chosen: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    unit: str = ""
    table: Table | None = None
    fields: list[Field] = field(default_factory=list)  # a record: one field per key


def _text(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int):
        return fen_to_yuan(value)
    if kind == "yes_no":
        return "true" if value is True else "false" if value is False else ""
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "words":
        return "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def _options(spec: SettingSpec | SettingColumn, chosen: list[str]) -> list[tuple[str, str]]:
    """The declared choices, and any value already held that is not among them (kept unless unticked)."""
    options = choice_items(spec)
    known = {v for v, _ in options}
    return options + [(v, v) for v in chosen if v not in known]


def _field(spec: SettingSpec | SettingColumn, name: str, value: Any, label: str = "") -> Field:
    kind = kind_of(spec)
    out = Field(name=name, kind=kind, label=label, unit=unit_words(spec.unit))
    if kind == "checks":
        out.chosen = [str(v) for v in value] if isinstance(value, list) else []
        out.options = _options(spec, out.chosen)
    elif kind == "table" and isinstance(spec, SettingColumn):
        out.table = _table(spec.columns, name, value if isinstance(value, list) else [])
    else:
        out.value = _text(kind, value)
        if kind == "choice":
            out.options = _options(spec, [out.value] if out.value else [])
    return out


def _table(columns: tuple[SettingColumn, ...], prefix: str, items: list[Any]) -> Table:
    rows = []
    for i, item in enumerate([*items, *([None] * BLANK_ROWS)]):
        obj = item if isinstance(item, dict) else {}
        cells = [_field(c, f"{prefix}.{i}.{c.key}", obj.get(c.key)) for c in columns]
        rows.append(Row(index=i, cells=cells, blank=item is None))
    return Table(prefix=prefix, headers=[(c.label, unit_words(c.unit)) for c in columns], rows=rows)


def editor(spec: SettingSpec, value: Any, settings: Mapping[str, Any] | None = None) -> Field:
    """The form for ``spec`` filled in with ``value`` (``settings``: the county's settings, for choices that depend
    on them, such as the county's own organisation types)."""
    if spec.choices_of is not None and settings is not None:
        spec = dataclasses.replace(spec, choices=spec.choices_of(settings))
    kind = kind_of(spec)
    if kind == "table":
        return Field(name="value", kind=kind, table=_table(spec.columns, "value", value if isinstance(value, list) else []))
    if kind == "mapping":
        others = [c for c in spec.columns if c.key != "*"]
        items = []
        for key, v in (value.items() if isinstance(value, dict) else []):
            values = [v] if len(others) == 1 else list(v) if isinstance(v, list) else []
            items.append({"*": key, **{c.key: x for c, x in zip(others, values, strict=False)}})
        return Field(name="value", kind=kind, table=_table(spec.columns, "value", items))
    if kind == "record":
        obj = value if isinstance(value, dict) else {}
        return Field(name="value", kind=kind, fields=[_field(c, f"value.{c.key}", obj.get(c.key), c.label)
                                                      for c in spec.columns])
    if kind == "json":
        return Field(name="json", kind=kind)
    return _field(spec, "value", value, spec.label)
