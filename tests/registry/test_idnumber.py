"""Resident ID numbers (GB 11643-1999): golden vectors, spreadsheet damage, masking, consistency.

Pure functions: no database. Valid vectors were computed with the MOD 11-2 algorithm and one is
checked by hand below; two come from published sources (the standard's own example
11010519491231002X and the widely quoted 440524188001010014).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.idnumber import (
    IdNumber,
    check_character,
    check_consistency,
    mask_id_number,
    normalize_id_text,
    parse_id_number,
    upgrade_legacy_number,
)

TODAY = datetime.date(2024, 6, 1)


def refused(raw: object, code: ErrorCode, **kwargs: object) -> BangfuError:
    with pytest.raises(BangfuError) as info:
        parse_id_number(raw, **kwargs)  # type: ignore[arg-type]
    assert info.value.code is code, info.value
    return info.value


# --- golden vectors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "born", "sex", "region"),
    [
        # GB 11643-1999's own example: Beijing Chaoyang, 1949-12-31, female, check X.
        ("11010519491231002X", datetime.date(1949, 12, 31), "F", "110105"),
        # Computed with the algorithm (532822199001011237 is checked by hand below).
        ("532822199001011237", datetime.date(1990, 1, 1), "M", "532822"),
        ("532822198506150027", datetime.date(1985, 6, 15), "F", "532822"),
        ("310117200002290040", datetime.date(2000, 2, 29), "F", "310117"),  # leap day
        ("532822199902280020", datetime.date(1999, 2, 28), "F", "532822"),
        ("53282220080808001X", datetime.date(2008, 8, 8), "M", "532822"),
        ("320583199001010002", datetime.date(1990, 1, 1), "F", "320583"),
    ],
)
def test_valid_numbers(number: str, born: datetime.date, sex: str, region: str) -> None:
    idn = parse_id_number(number, today=TODAY)
    assert idn == IdNumber(number=number, birth_date=born, sex=sex, region_code=region)  # type: ignore[arg-type]


def test_checksum_by_hand() -> None:
    # 5·7 + 3·9 + 2·10 + 8·5 + 2·8 + 2·4 + 1·2 + 9·1 + 9·6 + 0·3 + 0·7 + 1·9 + 0·10 + 1·5
    # + 1·8 + 2·4 + 3·2 = 247; 247 mod 11 = 5; "10X98765432"[5] = "7".
    assert check_character("53282219900101123") == "7"
    assert check_character("11010519491231002") == "X"


def test_published_1880_example_has_a_valid_checksum_but_is_refused_as_before_1900() -> None:
    # Decision: the registry holds living people, so a birth date before 1900-01-01 is taken
    # for a typo in the year and refused, even though the number itself is well formed.
    assert check_character("44052418800101001") == "4"
    error = refused("440524188001010014", ErrorCode.ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE)
    assert "1880-01-01" in error.message
    assert "1900-01-01" in error.message
    assert error.field == "id_number"


def test_wrong_checksum_names_the_expected_character() -> None:
    error = refused("532822199001011238", ErrorCode.ID_NUMBER_CHECKSUM)
    assert "is 8" in error.message
    assert "give 7" in error.message
    error = refused("110105194912310021", ErrorCode.ID_NUMBER_CHECKSUM)
    assert "give X" in error.message


def test_checksum_message_hints_at_spreadsheet_truncation() -> None:
    # 532822199001011237 after a spreadsheet kept 15 significant digits.
    error = refused("532822199001011000", ErrorCode.ID_NUMBER_CHECKSUM)
    assert "Text" in error.message


def test_messages_do_not_repeat_the_number() -> None:
    error = refused("532822199001011238", ErrorCode.ID_NUMBER_CHECKSUM)
    assert "532822199001011" not in error.message


# --- dates ----------------------------------------------------------------------------------


def test_impossible_birth_date() -> None:
    first17 = "53282219990230002"
    error = refused(first17 + check_character(first17), ErrorCode.ID_NUMBER_BIRTH_DATE_INVALID)
    assert "19990230" in error.message


@pytest.mark.parametrize("date", ["19991301", "19990000", "19000229", "20230229"])
def test_other_impossible_dates(date: str) -> None:
    first17 = "532822" + date + "002"
    refused(first17 + check_character(first17), ErrorCode.ID_NUMBER_BIRTH_DATE_INVALID)


def test_birth_date_in_the_future() -> None:
    error = refused(
        "53282220080808001X",
        ErrorCode.ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE,
        today=datetime.date(2008, 8, 7),
    )
    assert "future" in error.message
    assert parse_id_number("53282220080808001X", today=datetime.date(2008, 8, 8)).sex == "M"


def test_future_against_the_real_today() -> None:
    next_year = datetime.date.today().year + 1
    first17 = f"532822{next_year}0101001"
    refused(first17 + check_character(first17), ErrorCode.ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE)


def test_first_day_of_1900_is_accepted() -> None:
    first17 = "53282219000101001"
    idn = parse_id_number(first17 + check_character(first17), today=TODAY)
    assert idn.birth_date == datetime.date(1900, 1, 1)


# --- shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["5328221990010112", "5328221990010112377", "1234"])
def test_wrong_length(raw: str) -> None:
    error = refused(raw, ErrorCode.ID_NUMBER_WRONG_LENGTH)
    assert str(len(raw)) in error.message


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", float("nan")])
def test_missing(raw: object) -> None:
    refused(raw, ErrorCode.ID_NUMBER_MISSING)


@pytest.mark.parametrize(
    ("raw", "position"),
    [("53282219900101A237", 15), ("X32822199001011237", 1), ("5328221990010112X7", 17)],
)
def test_non_digit_in_the_first_17(raw: str, position: int) -> None:
    error = refused(raw, ErrorCode.ID_NUMBER_MALFORMED)
    assert f"Character {position} " in error.message


def test_bad_last_character() -> None:
    error = refused("53282219900101123Y", ErrorCode.ID_NUMBER_MALFORMED)
    assert "digit or X" in error.message


def test_non_ascii_digits_are_refused() -> None:
    # Arabic-Indic digits satisfy str.isdigit() but are not ID characters.
    refused("٥٣٢٨٢٢199001011237", ErrorCode.ID_NUMBER_MALFORMED)


@pytest.mark.parametrize("raw", [b"532822199001011237", datetime.date(1990, 1, 1), True])
def test_non_text_values(raw: object) -> None:
    refused(raw, ErrorCode.ID_NUMBER_MALFORMED)


# --- canonicalisation -----------------------------------------------------------------------


def test_lower_case_x_is_accepted_and_canonicalised() -> None:
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


def test_full_width_digits_and_x() -> None:
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ").number == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"


@pytest.mark.parametrize(
    "raw",
    [
        " 532822199001011237 ",
        "532822 19900101 1237",
        "532822\u300019900101\u30001237",  # ideographic space
        "\u00a0532822199001011237\u00a0",  # NBSP
        "532822199001011237\n",
        "\ufeff532822\u200b199001011237",  # BOM and zero-width space from pasted text
        "'532822199001011237",  # Excel's text prefix
    ],
)
def test_spaces_and_invisible_characters(raw: str) -> None:
    assert normalize_id_text(raw) == "532822199001011237"
    assert parse_id_number(raw).number == "532822199001011237"


def test_legacy_15_digit_number_is_upgraded() -> None:
    assert upgrade_legacy_number("110105491231002") == "11010519491231002X"
    idn = parse_id_number("110105491231002")
    assert idn.number == "11010519491231002X"
    assert idn.birth_date == datetime.date(1949, 12, 31)
    assert idn.sex == "F"
    assert idn.region_code == "110105"


def test_legacy_number_must_be_all_digits() -> None:
    error = refused("11010549123100X", ErrorCode.ID_NUMBER_MALFORMED)
    assert "first 15" in error.message


def test_legacy_number_with_impossible_date() -> None:
    refused("110105490230002", ErrorCode.ID_NUMBER_BIRTH_DATE_INVALID)


# --- spreadsheet damage ---------------------------------------------------------------------


@pytest.mark.parametrize("raw", [5.32822e17, 532822199001011237, 532822199001011000.0])
def test_numbers_are_refused_as_excel_damage(raw: object) -> None:
    error = refused(raw, ErrorCode.ID_NUMBER_EXCEL_DAMAGED)
    assert "15 significant digits" in error.message
    assert "Text" in error.message
    assert "5.32822e+17" in error.message


def test_decimal_and_legacy_sized_numbers_are_refused_too() -> None:
    # Even a 15-digit legacy number that survived as a number is refused: one rule for the
    # whole column is clearer than guessing which numbers are still intact.
    refused(Decimal("532822199001011237"), ErrorCode.ID_NUMBER_EXCEL_DAMAGED)
    refused(110105491231002, ErrorCode.ID_NUMBER_EXCEL_DAMAGED)


@pytest.mark.parametrize("raw", ["5.32822E+17", "5.32822e+17", "5.32822E17"])
def test_scientific_notation_text(raw: str) -> None:
    error = refused(raw, ErrorCode.ID_NUMBER_EXCEL_DAMAGED)
    assert "scientific notation" in error.message


@pytest.mark.parametrize("raw", ["532822199001011234.0", "532822199001011234.00"])
def test_trailing_decimal_zero(raw: str) -> None:
    error = refused(raw, ErrorCode.ID_NUMBER_EXCEL_DAMAGED)
    assert "'.0" in error.message
    assert "15 significant digits" in error.message


def test_thousands_separators() -> None:
    error = refused("532,822,199,001,011,000", ErrorCode.ID_NUMBER_EXCEL_DAMAGED)
    assert "thousands separators" in error.message


def test_normalize_reports_damage_with_the_given_field() -> None:
    with pytest.raises(BangfuError) as info:
        normalize_id_text(5.32822e17, field="members[3].id_number")
    assert info.value.field == "members[3].id_number"
    with pytest.raises(BangfuError) as info:
        parse_id_number("5.32822E+17", field="row 7")
    assert info.value.field == "row 7"


# --- masking --------------------------------------------------------------------------------


def test_mask() -> None:
    assert mask_id_number("532822199001011237") == "532822**********37"
    assert mask_id_number("11010519491231002X") == "110105**********2X"
    assert mask_id_number("110105491231002") == "110105*******02"


@pytest.mark.parametrize("raw", ["", "5", "53282219900", "5328221990010112377"])
def test_mask_odd_input_hides_everything_but_keeps_length(raw: str) -> None:
    assert mask_id_number(raw) == "*" * len(raw)


def test_mask_none() -> None:
    assert mask_id_number(None) == ""  # type: ignore[arg-type]


def test_repr_is_masked() -> None:
    idn = parse_id_number("532822199001011237")
    assert "532822199001011237" not in repr(idn)
    assert "532822199001011237" not in str(idn)
    assert repr(idn) == "IdNumber(532822**********37)"


# --- consistency ----------------------------------------------------------------------------


def test_consistent_entries_pass() -> None:
    idn = parse_id_number("11010519491231002X")
    check_consistency(idn)
    check_consistency(idn, birth_date=datetime.date(1949, 12, 31), sex="F")
    check_consistency(idn, birth_date=datetime.datetime(1949, 12, 31, 0, 0), sex="f")
    check_consistency(idn, sex="女")


def test_birth_date_mismatch() -> None:
    idn = parse_id_number("11010519491231002X")
    with pytest.raises(BangfuError) as info:
        check_consistency(idn, birth_date=datetime.date(1949, 12, 30))
    assert info.value.code is ErrorCode.ID_NUMBER_BIRTH_DATE_MISMATCH
    assert info.value.field == "birth_date"
    assert "1949-12-30" in info.value.message
    assert "1949-12-31" in info.value.message


@pytest.mark.parametrize("sex", ["M", "m", "男"])
def test_sex_mismatch(sex: str) -> None:
    idn = parse_id_number("11010519491231002X")
    with pytest.raises(BangfuError) as info:
        check_consistency(idn, sex=sex)
    assert info.value.code is ErrorCode.ID_NUMBER_SEX_MISMATCH
    assert info.value.field == "sex"
    assert "female" in info.value.message


def test_unknown_sex_value() -> None:
    idn = parse_id_number("532822199001011237")
    with pytest.raises(BangfuError) as info:
        check_consistency(idn, sex="X")
    assert info.value.code is ErrorCode.VALIDATION_ERROR
