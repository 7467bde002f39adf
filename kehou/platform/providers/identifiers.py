"""Validation of Chinese official identifiers used when vetting providers.

* Unified Social Credit Code (统一社会信用代码), GB 32100-2015.
* Resident identity card number (居民身份证号码), GB 11643-1999.

Validators normalise their input, raise :class:`ValidationFailed` with a stable
``code`` and a Chinese message, and return the normalised value.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from kehou.errors import ValidationFailed

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_FORBIDDEN = "IOSVZ"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

#: Registration authority (position 1) -> allowed organisation categories
#: (position 2), per the GB 32100-2015 code tables as amended (A and N were
#: added after the original 2015 edition).
USCC_CATEGORIES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": frozenset("19"),  # 外交: 外国常驻新闻机构, 其他
    "3": frozenset("123459"),  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": frozenset("19"),  # 文化: 外国在华文化中心, 其他
    "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": frozenset("129"),  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
    "7": frozenset("129"),  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": frozenset("19"),  # 工会: 基层工会, 其他
    "9": frozenset("123"),  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": frozenset("19"),  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": frozenset("1239"),  # 农业: 组级/村级/乡镇级集体经济组织, 其他
    "Y": frozenset("1"),  # 其他: 不再细分, 统一为1
}

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_MAP = "10X98765432"
ID_MIN_BIRTHDATE = date(1900, 1, 1)


def _normalise(value: str) -> str:
    """Fold full-width characters to ASCII, drop all whitespace, uppercase."""
    folded = unicodedata.normalize("NFKC", value)
    return "".join(folded.split()).upper()


def uscc_check_char(first17: str) -> str:
    """Return the check character (position 18) for the first 17 characters.

    ``first17`` must already be normalised and drawn from :data:`USCC_CHARSET`;
    otherwise :class:`ValueError` is raised.
    """
    if len(first17) != 17 or any(c not in USCC_CHARSET for c in first17):
        raise ValueError("first17 must be 17 characters from the USCC charset")
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str, field: str = "uscc") -> str:
    """Validate a Unified Social Credit Code and return it normalised.

    Checks, in order: length, character set, administrative division digits
    (positions 3-8), authority/category pair (positions 1-2) and the check
    character (position 18).
    """
    value = _normalise(code)
    if len(value) != 18:
        raise ValidationFailed(
            f"统一社会信用代码应为18位，实际为{len(value)}位",
            code="uscc_length",
            field=field,
        )
    for pos, char in enumerate(value, start=1):
        if char in USCC_FORBIDDEN:
            raise ValidationFailed(
                f"统一社会信用代码第{pos}位为“{char}”，"
                "统一社会信用代码不使用字母I、O、S、V、Z",
                code="uscc_forbidden_char",
                field=field,
            )
        if char not in USCC_CHARSET:
            raise ValidationFailed(
                f"统一社会信用代码第{pos}位“{char}”不是有效字符，只能使用数字和大写字母",
                code="uscc_bad_char",
                field=field,
            )
    if not (value[2:8].isascii() and value[2:8].isdigit()):
        raise ValidationFailed(
            f"统一社会信用代码第3–8位为行政区划码，应全部为数字，实际为“{value[2:8]}”",
            code="uscc_division",
            field=field,
        )
    authority, category = value[0], value[1]
    if category not in USCC_CATEGORIES.get(authority, frozenset()):
        raise ValidationFailed(
            f"统一社会信用代码前两位“{authority}{category}”不是有效的登记管理部门和机构类别组合",
            code="uscc_category",
            field=field,
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise ValidationFailed(
            f"统一社会信用代码第18位校验码应为{expected}，实际为{value[17]}，请核对是否有错填",
            code="uscc_check_char",
            field=field,
        )
    return value


def resident_id_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("first17 must be 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_MAP[total % 11]


def validate_resident_id(
    number: str, field: str = "id_number", *, today: date | None = None
) -> str:
    """Validate an 18-character PRC resident identity card number.

    Checks length, format (17 digits plus a digit or ``X``), the birth date in
    positions 7-14 (a real date from 1900-01-01 to ``today``) and the check
    character. ``today`` defaults to :meth:`date.today`. Returns the number
    normalised (whitespace removed, ``x`` uppercased).
    """
    value = _normalise(number)
    if len(value) != 18:
        raise ValidationFailed(
            f"身份证号码应为18位，实际为{len(value)}位",
            code="id_number_length",
            field=field,
        )
    body, check = value[:17], value[17]
    if not (body.isascii() and body.isdigit()) or check not in "0123456789X":
        raise ValidationFailed(
            "身份证号码格式不正确：前17位应为数字，最后一位应为数字或X",
            code="id_number_format",
            field=field,
        )
    raw = value[6:14]
    try:
        born = date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        born = None
    limit = today or date.today()
    if born is None or not ID_MIN_BIRTHDATE <= born <= limit:
        raise ValidationFailed(
            f"身份证号码第7–14位出生日期“{raw}”无效",
            code="id_number_birthdate",
            field=field,
        )
    expected = resident_id_check_char(body)
    if check != expected:
        raise ValidationFailed(
            f"身份证号码第18位校验码应为{expected}，实际为{check}，请核对是否有错填",
            code="id_number_check_char",
            field=field,
        )
    return value


def mask_tail(value: str, keep: int = 4) -> str:
    """Replace all but the last ``keep`` characters with ``*``.

    A value no longer than ``keep`` is masked completely, so that short
    values are never shown in full.
    """
    if keep < 0:
        raise ValueError("keep must not be negative")
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[len(value) - keep :]
