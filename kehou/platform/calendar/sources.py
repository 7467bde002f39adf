"""Where arrangements come from besides the admin's form: the chinesecalendar package (years it knows) and a
simple text file (one line per day or range of days)."""

from __future__ import annotations

import datetime as dt
from importlib.metadata import version

from chinese_calendar import constants
from sqlalchemy.orm import Session

from kehou.errors import ValidationFailed
from kehou.platform.actor import Actor
from kehou.platform.calendar.services import DayEntry, known_years, put_year

#: The package's English holiday names, in Chinese.
NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
KIND_WORDS = {"holiday": "holiday", "放假": "holiday", "休": "holiday", "workday": "workday", "上班": "workday",
              "班": "workday", "调休上班": "workday"}
SYSTEM = Actor.system("calendar")


def package_years() -> dict[int, list[DayEntry]]:
    """Every year the installed chinesecalendar knows, with its holidays and adjusted working days."""
    out: dict[int, list[DayEntry]] = {}
    for table, kind in ((constants.holidays, "holiday"), (constants.workdays, "workday")):
        for day, name in table.items():
            label = NAMES.get(str(name), str(name))
            out.setdefault(day.year, []).append(DayEntry(day, kind, label))
    return out


def sync_from_package(session: Session) -> list[int]:
    """Enter the years the package knows and the database lacks (or holds only provisionally). An official
    arrangement entered by the admin is never overwritten. Returns the years entered."""
    known = known_years(session)
    source = f"chinesecalendar {version('chinesecalendar')}"
    added = []
    for year, items in sorted(package_years().items()):
        if known.get(year) == "official":
            continue
        put_year(session, SYSTEM, year=year, status="official", source=source, items=items,
                 reason=f"由 {source} 数据导入", audited=False)  # audited when it replaces a provisional year
        added.append(year)
    return added


def parse(text: str) -> list[DayEntry]:
    """Lines of ``date[~date],kind,name`` (kind: 放假/holiday or 上班/workday); ``#`` starts a comment.
    Example: ``2027-02-06~2027-02-13,放假,春节``. Errors name the line."""
    out: list[DayEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip().replace("，", ",")
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3:
            raise ValidationFailed(f"第{number}行应为“日期,放假或上班,名称”三项。", code="calendar_line_invalid", field="file")
        span, kind_word, name = parts
        kind = KIND_WORDS.get(kind_word.lower())
        if kind is None:
            raise ValidationFailed(f"第{number}行的类型“{kind_word}”无法识别，应为“放假”或“上班”。",
                                   code="calendar_line_invalid", field="file")
        first_s, _, last_s = span.replace("～", "~").partition("~")
        try:
            first = dt.date.fromisoformat(first_s.strip())
            last = dt.date.fromisoformat(last_s.strip()) if last_s else first
        except ValueError:
            raise ValidationFailed(f"第{number}行的日期应写作“年-月-日”，如2027-01-01。", code="calendar_line_invalid",
                                   field="file") from None
        if last < first or (last - first).days > 31:
            raise ValidationFailed(f"第{number}行的日期范围无效（结束早于开始，或超过一个月）。", code="calendar_line_invalid",
                                   field="file")
        out.extend(DayEntry(first + dt.timedelta(days=i), kind, name) for i in range((last - first).days + 1))
    return out


def unparse(items: list[DayEntry]) -> str:
    """The file form of entries, consecutive days of one kind and name joined into a range."""
    lines: list[str] = []
    run: list[DayEntry] = []
    for e in sorted(items, key=lambda e: e.day) + [DayEntry(dt.date.max, "", "")]:
        if run and (e.kind != run[-1].kind or e.name != run[-1].name or e.day != run[-1].day + dt.timedelta(days=1)):
            span = run[0].day.isoformat() + (f"~{run[-1].day.isoformat()}" if len(run) > 1 else "")
            lines.append(f"{span},{'放假' if run[0].kind == 'holiday' else '上班'},{run[0].name}")
            run = []
        run.append(e)
    return "\n".join(lines) + ("\n" if lines else "")

