"""Tests for kehou.platform.providers.identifiers."""

from __future__ import annotations

from datetime import date

import pytest

from kehou.errors import ValidationFailed
from kehou.platform.providers.identifiers import (
    USCC_CATEGORIES,
    USCC_CHARSET,
    mask_tail,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)

# Published codes of well-known companies; each was checked against the
# GB 32100-2015 algorithm by an independent computation.
REAL_USCC = [
    "91330100716105852F",  # 阿里巴巴（中国）网络技术有限公司
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]

# Realistic bodies for other authority/category pairs, check chars computed
# independently and written down here as literals.
DERIVED_USCC = [
    "121100004000000014",  # 1-2 事业单位
    "52110105MJ0000123H",  # 5-2 民办非企业单位
    "53100000500021676K",  # 5-3 基金会
    "51440300MJL012345W",  # 5-1 社会团体
    "92330106MA2812345U",  # 9-2 个体工商户
    "93510122MA6C01234D",  # 9-3 农民专业合作社
    "31110000E00012345E",  # 3-1 律师执业机构
    "72310101MJ0012345W",  # 7-2 宗教院校
    "81440300MC1234567E",  # 8-1 基层工会
    "A1100000MB00123459",  # A-1 军队事业单位
    "N2330106MF0000123X",  # N-2 村级集体经济组织
    "Y1110000MC00012342",  # Y-1 其他
]

VALID_USCC = REAL_USCC + DERIVED_USCC
BASE = "91330100716105852F"


def _uscc_error(code: str, field: str = "uscc") -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate_uscc(code, field=field)
    assert info.value.field == field
    return info.value


def _with_check(first17: str) -> str:
    return first17 + uscc_check_char(first17)


# --- USCC: valid input -----------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_uscc_accepted(code: str) -> None:
    assert validate_uscc(code) == code


@pytest.mark.parametrize("code", VALID_USCC)
def test_check_char_helper_matches(code: str) -> None:
    assert uscc_check_char(code[:17]) == code[17]


def test_check_char_zero_when_remainder_is_zero() -> None:
    # sum % 31 == 0 must give "0", not an index error for 31.
    assert uscc_check_char("0" * 17) == "0"
    assert uscc_check_char("91110000000000025") == "0"
    assert validate_uscc("911100000000000250") == "911100000000000250"


def test_check_char_helper_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        uscc_check_char("9133010071610585")
    with pytest.raises(ValueError):
        uscc_check_char("91330100716105S52")


def test_lowercase_is_normalised() -> None:
    assert validate_uscc("9144030071526726xg") == "9144030071526726XG"


def test_spaces_are_stripped() -> None:
    assert validate_uscc("  9133 0100 7161 0585 2F ") == BASE
    assert validate_uscc("\t91330100716105852F\n") == BASE


def test_full_width_input_is_folded() -> None:
    assert validate_uscc("９１３３０１００７１６１０５８５２Ｆ") == BASE


def test_returns_normalised_code() -> None:
    assert validate_uscc(" 52110105mj0000123h ") == "52110105MJ0000123H"


# --- USCC: length ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "length"),
    [(BASE[:17], 17), (BASE + "1", 19), ("", 0), ("   ", 0), (BASE[:1], 1)],
)
def test_wrong_length(code: str, length: int) -> None:
    err = _uscc_error(code)
    assert err.code == "uscc_length"
    assert f"实际为{length}位" in err.message
    assert "18位" in err.message


# --- USCC: characters ------------------------------------------------------


@pytest.mark.parametrize("letter", list("IOSVZ"))
@pytest.mark.parametrize("position", [1, 2, 5, 10, 17, 18])
def test_forbidden_letters(letter: str, position: int) -> None:
    code = BASE[: position - 1] + letter + BASE[position:]
    err = _uscc_error(code)
    assert err.code == "uscc_forbidden_char"
    assert f"第{position}位" in err.message
    assert letter in err.message
    assert "I、O、S、V、Z" in err.message


@pytest.mark.parametrize("letter", list("iosvz"))
def test_forbidden_letters_lowercase(letter: str) -> None:
    err = _uscc_error(BASE[:12] + letter + BASE[13:])
    assert err.code == "uscc_forbidden_char"
    assert "第13位" in err.message
    assert letter.upper() in err.message


@pytest.mark.parametrize("char", ["-", "#", "中", "_", "."])
def test_other_bad_chars(char: str) -> None:
    err = _uscc_error(BASE[:9] + char + BASE[10:])
    assert err.code == "uscc_bad_char"
    assert "第10位" in err.message


def test_charset_excludes_forbidden_letters() -> None:
    assert len(USCC_CHARSET) == 31
    assert not set("IOSVZ") & set(USCC_CHARSET)


# --- USCC: structure -------------------------------------------------------


@pytest.mark.parametrize("position", [3, 4, 5, 6, 7, 8])
def test_letter_in_division_code(position: int) -> None:
    first17 = BASE[: position - 1] + "A" + BASE[position:17]
    err = _uscc_error(_with_check(first17))
    assert err.code == "uscc_division"
    assert "3–8" in err.message


@pytest.mark.parametrize(
    "pair",
    ["94", "99", "15", "18", "14", "54", "28", "36", "43", "63", "73", "82", "A2",
     "N4", "Y2", "Y9", "01", "B1", "X1", "G1", "10", "90"],
)
def test_invalid_category_pair(pair: str) -> None:
    err = _uscc_error(_with_check(pair + BASE[2:17]))
    assert err.code == "uscc_category"
    assert pair in err.message


@pytest.mark.parametrize(
    "pair",
    [a + c for a, cats in USCC_CATEGORIES.items() for c in sorted(cats)],
)
def test_every_allowed_category_pair(pair: str) -> None:
    code = _with_check(pair + BASE[2:17])
    assert validate_uscc(code) == code


def test_category_table_matches_standard() -> None:
    assert USCC_CATEGORIES["1"] == set("1239")
    assert USCC_CATEGORIES["3"] == set("123459")
    assert USCC_CATEGORIES["5"] == set("1239")
    assert USCC_CATEGORIES["9"] == set("123")
    assert USCC_CATEGORIES["Y"] == set("1")


# --- USCC: check character -------------------------------------------------


def test_wrong_check_char_names_expected() -> None:
    err = _uscc_error(BASE[:17] + "G", field="credit_code")
    assert err.code == "uscc_check_char"
    assert "第18位校验码应为F，实际为G" in err.message
    assert err.field == "credit_code"


def test_brief_example_code_is_not_valid() -> None:
    # 91110000100003962T was suggested as an example; its check char is Y.
    err = _uscc_error("91110000100003962T")
    assert err.code == "uscc_check_char"
    assert "应为Y" in err.message


@pytest.mark.parametrize("code", VALID_USCC)
def test_every_single_substitution_detected(code: str) -> None:
    replacements = "0179ACHNTY" + "IOSVZ" + "-"
    for pos in range(18):
        for repl in replacements:
            if repl == code[pos]:
                continue
            corrupted = code[:pos] + repl + code[pos + 1 :]
            with pytest.raises(ValidationFailed) as info:
                validate_uscc(corrupted)
            assert info.value.code.startswith("uscc_"), corrupted


def test_adjacent_transpositions_detected() -> None:
    code = BASE
    for pos in range(17):
        if code[pos] == code[pos + 1]:
            continue
        swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
        with pytest.raises(ValidationFailed):
            validate_uscc(swapped)


def test_error_to_dict_carries_field_and_code() -> None:
    err = _uscc_error("123", field="org_code")
    body = err.to_dict()
    assert body["code"] == "uscc_length"
    assert body["field"] == "org_code"


# --- Resident ID -----------------------------------------------------------

VALID_IDS = [
    "11010519491231002X",
    "440306199003071232",
    "310115200012290455",
    "110101200001010010",
    "330102198001011280",
]
TODAY = date(2025, 6, 1)


def _id_error(number: str, today: date = TODAY) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        validate_resident_id(number, today=today)
    assert info.value.field == "id_number"
    return info.value


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_resident_id(number: str) -> None:
    assert validate_resident_id(number, today=TODAY) == number
    assert resident_id_check_char(number[:17]) == number[17]


def test_valid_resident_id_default_today() -> None:
    assert validate_resident_id("11010519491231002X") == "11010519491231002X"


def test_resident_id_normalised() -> None:
    assert validate_resident_id(" 11010519491231002x ", today=TODAY) == "11010519491231002X"
    assert validate_resident_id("110105 19491231 002X", today=TODAY) == "11010519491231002X"


def test_resident_id_custom_field() -> None:
    with pytest.raises(ValidationFailed) as info:
        validate_resident_id("123", field="legal_rep_id")
    assert info.value.field == "legal_rep_id"


@pytest.mark.parametrize(
    ("number", "length"),
    [("", 0), ("11010519491231002", 17), ("11010519491231002X1", 19),
     ("110105491231002", 15)],
)
def test_resident_id_length(number: str, length: int) -> None:
    err = _id_error(number)
    assert err.code == "id_number_length"
    assert f"实际为{length}位" in err.message


@pytest.mark.parametrize(
    "number",
    [
        "A1010519491231002X",
        "11010519491231X02X",
        "11010519491231002Y",
        "11010519491231002-",
        "1101051949123100\u0662X",  # Arabic-Indic digit two
    ],
)
def test_resident_id_format(number: str) -> None:
    assert _id_error(number).code == "id_number_format"


@pytest.mark.parametrize(
    "birth",
    ["20000230", "19990229", "20011301", "20010100", "20010431", "18991231",
     "00000000"],
)
def test_resident_id_impossible_birthdate(birth: str) -> None:
    body = "110105" + birth + "002"
    err = _id_error(body + resident_id_check_char(body))
    assert err.code == "id_number_birthdate"
    assert birth in err.message


def test_resident_id_leap_day_accepted() -> None:
    body = "110105" + "20000229" + "002"
    number = body + resident_id_check_char(body)
    assert validate_resident_id(number, today=TODAY) == number


def test_resident_id_future_birthdate() -> None:
    body = "110105" + "20250602" + "002"
    err = _id_error(body + resident_id_check_char(body))
    assert err.code == "id_number_birthdate"
    body_today = "110105" + "20250601" + "002"
    assert validate_resident_id(body_today + resident_id_check_char(body_today), today=TODAY)


def test_resident_id_wrong_check_char() -> None:
    err = _id_error("110105194912310021")
    assert err.code == "id_number_check_char"
    assert "应为X，实际为1" in err.message


def test_resident_id_single_digit_errors_detected() -> None:
    number = VALID_IDS[1]
    for pos in range(18):
        for repl in "0123456789X":
            if repl == number[pos] or (repl == "X" and pos < 17):
                continue
            corrupted = number[:pos] + repl + number[pos + 1 :]
            with pytest.raises(ValidationFailed):
                validate_resident_id(corrupted, today=TODAY)


# --- mask_tail -------------------------------------------------------------


def test_mask_tail_default() -> None:
    assert mask_tail("11010519491231002X") == "**************002X"


def test_mask_tail_keep() -> None:
    assert mask_tail("91330100716105852F", keep=6) == "************05852F"
    assert mask_tail("abcdef", keep=0) == "******"


def test_mask_tail_short_values_fully_masked() -> None:
    assert mask_tail("123") == "***"
    assert mask_tail("1234") == "****"
    assert mask_tail("") == ""


def test_mask_tail_negative_keep() -> None:
    with pytest.raises(ValueError):
        mask_tail("abc", keep=-1)
