"""Cleaning and converting one cell: spaces, full-width characters, numbers, dates, codes, ID
numbers; each failure a CellError with a reason."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.codelists import code_list, fold
from bangfu.registry.importers.layouts import (
    _FALSE,
    _TRUE,
    BOOL,
    CAUSES,
    CODE,
    DATE,
    EXIT_STATUS,
    ID,
    IDENT,
    INT,
    KEY,
    MONEY,
    NAME,
    PHONE,
    REGION,
    SEX,
    STATUS,
    STATUS_LABELS_ZH,
    Col,
)
from bangfu.registry.importers.sources import MOJIBAKE
from bangfu.registry.models import HouseholdStatus

# --- cells --------------------------------------------------------------------------------


class CellError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_INT = re.compile(r"\+?(\d+)(?:\.0*)?")
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE][+-]?\d+")
_DATE_DASHED = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_DATE_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
EXCEL_EPOCH = dt.date(1899, 12, 30)
_CAUSE_SPLIT = re.compile(r"[、,，;；/|]+|\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _encoding_damage(text: str) -> None:
    if "\ufffd" in text:
        raise CellError(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The cell contains replacement characters (�): the file was converted with the "
                "wrong encoding and the original characters are lost. Take the value from the "
                "original file, saved as .xlsx or as CSV UTF-8."
            ),
        )
    if MOJIBAKE.search(text):
        raise CellError(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The cell reads {value!r}, which looks like Chinese text decoded with the wrong "
                "encoding (GB18030 read as Latin-1). Take the value from the original file, "
                "saved as .xlsx or as CSV UTF-8."
            ).format(value=text[:30]),
        )


def convert_text(raw: str, numeric: bool) -> str:
    """Free text: full-width forms folded, runs of spaces (also U+3000) made one, ends trimmed.
    Lengths are checked by the registry's validation."""
    text = " ".join(_nfkc(raw).split())
    _encoding_damage(text)
    return text


def convert_name(raw: str, numeric: bool) -> str:
    """A name, as text, without the spaces typed between two Chinese characters."""
    text = convert_text(raw, numeric)
    return _CJK_SPACE.sub("", text) if " " in text else text


def convert_ident(header: str) -> Callable[[str, bool], Any]:
    """Household and person numbers, bank accounts: no spaces at all; a number stored as a
    spreadsheet number has lost its digits beyond the 15th."""

    def convert(raw: str, numeric: bool) -> str:
        text = "".join(_nfkc(raw).split()).lstrip("'")
        _encoding_damage(text)
        if numeric or _SCIENTIFIC.fullmatch(text):
            digits = _integer_text(text)
            if digits is None or len(digits) > 15:
                raise CellError(
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "{header} was stored as a number ({value}); spreadsheets keep only 15 "
                        "significant digits of a number, so the last digits of a longer number "
                        "are lost. Format the column as Text and enter the numbers again."
                    ).format(header=header, value=_number_preview(text)),
                )
            text = digits
        return text

    return convert


def _integer_text(text: str) -> str | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number != int(number):
        return None
    return str(int(number))


def _number_preview(text: str) -> str:
    try:
        return f"{float(text):.6g}"
    except ValueError:
        return text[:20]


def convert_phone(raw: str, numeric: bool) -> str:
    text = "".join(_nfkc(raw).split()).lstrip("'")
    return (_integer_text(text) or text) if numeric else text


def convert_id(raw: str, numeric: bool) -> object:
    """ID numbers go to the registry's own parser as they are (it knows the spreadsheet damage);
    a number-typed cell goes as a number, so that it is reported as one."""
    if numeric:
        try:
            return float(raw)
        except ValueError:
            return raw
    if "*" in raw:
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _(
                "The ID number is masked ({value}): this file comes from an export with masked "
                "ID numbers, which cannot be imported. Use an export with full ID numbers, or the "
                "original data."
            ).format(value=raw.strip()[:22]),
        )
    return raw


def convert_code(raw: str, numeric: bool) -> str:
    text = raw.strip()
    _encoding_damage(text)
    return text


def convert_region(raw: str, numeric: bool) -> str:
    text = "".join(_nfkc(raw).split())
    _encoding_damage(text)
    if numeric:
        text = _integer_text(text) or text
    return text


def convert_int(raw: str, numeric: bool) -> int:
    match = _INT.fullmatch(_nfkc(raw).strip())
    if match is None:
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _("{value!r} is not a whole number.").format(value=raw.strip()),
        )
    return int(match.group(1))


def convert_bool(raw: str, numeric: bool) -> bool:
    text = fold(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(
        ErrorCode.IMPORT_CELL_INVALID,
        _("{value!r} is not 是 or 否.").format(value=raw.strip()),
    )


def convert_money(raw: str, numeric: bool) -> Decimal:
    text = _nfkc(raw).strip().replace(",", "").removesuffix("元").removeprefix("¥").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise CellError(
            ErrorCode.IMPORT_CELL_INVALID,
            _("{value!r} is not an amount in yuan.").format(value=raw.strip()),
        )
    return amount.quantize(Decimal("0.01"))


def convert_date(raw: str, numeric: bool) -> dt.date:
    """2019-03-01, 2019/3/1, 2019.3.1, 20190301, 2019年3月1日, or an Excel serial number."""
    text = "".join(_nfkc(raw).split()) if not raw.isascii() else raw.strip()
    parts: tuple[str, str, str] | None = None
    for pattern in (_DATE_DASHED, _DATE_CHINESE, _DATE_COMPACT):
        match = pattern.fullmatch(text)
        if match:
            parts = (match.group(1), match.group(2), match.group(3))
            break
    if parts is not None:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise CellError(
                ErrorCode.IMPORT_DATE_INVALID,
                _("{value!r} is not a real date: check the month and the day.").format(
                    value=raw.strip()
                ),
            ) from None
    serial = _SERIAL.fullmatch(text)
    if serial:
        days = int(serial.group(1))
        if days != 60:  # Excel's 1900-02-29, a day that never was
            return EXCEL_EPOCH + dt.timedelta(days=days)
    raise CellError(
        ErrorCode.IMPORT_DATE_INVALID,
        _(
            "{value!r} is not a date Bangfu reads; write it as 2019-03-01, 2019/3/1, 2019.3.1, "
            "20190301 or 2019年3月1日."
        ).format(value=raw.strip()),
    )


def convert_status(raw: str, numeric: bool) -> str:
    text = fold(raw)
    for status, label in STATUS_LABELS_ZH.items():
        if text in {fold(label), status}:
            return str(status)
    for choice, english in HouseholdStatus.choices:
        if text.lower() == fold(str(english)).lower():
            return str(choice)
    raise CellError(
        ErrorCode.IMPORT_CELL_INVALID,
        _("{value!r} is not a household status; use one of: {allowed}.").format(
            value=raw.strip(), allowed="、".join(STATUS_LABELS_ZH.values())
        ),
    )


def convert_exit_status(raw: str, numeric: bool) -> str:
    try:
        return code_list("exit_status").resolve(raw, field="status")
    except BangfuError as error:
        raise CellError(error.code, error.message) from None


def convert_causes(raw: str, numeric: bool) -> tuple[str, ...]:
    _encoding_damage(raw)
    return tuple(p for p in _CAUSE_SPLIT.split(raw.strip()) if p)


def convert_sex(raw: str, numeric: bool) -> str:
    return fold(raw)


def _cached(convert: Callable[[str, bool], Any]) -> Callable[[str, bool], Any]:
    """Columns with few distinct values (code lists, yes/no, small numbers) convert each
    distinct spelling once."""
    cache: dict[str, tuple[Any, CellError | None]] = {}

    def cached(raw: str, numeric: bool) -> Any:
        hit = cache.get(raw)
        if hit is None:
            try:
                hit = (convert(raw, numeric), None)
            except CellError as error:
                hit = (None, error)
            if len(cache) < 20000:
                cache[raw] = hit
        if hit[1] is not None:
            raise hit[1]
        return hit[0]

    return cached


def converter(col: Col, header: str) -> Callable[[str, bool], Any]:
    """How the cells of a column are cleaned up and converted."""
    cached: dict[str, Callable[[str, bool], Any]] = {
        CODE: convert_code,
        REGION: convert_region,
        INT: convert_int,
        BOOL: convert_bool,
        MONEY: convert_money,
        DATE: convert_date,
        STATUS: convert_status,
        EXIT_STATUS: convert_exit_status,
        CAUSES: convert_causes,
        SEX: convert_sex,
    }
    if col.kind in cached:
        return _cached(cached[col.kind])
    if col.kind in {KEY, IDENT}:
        return convert_ident(header)
    plain: dict[str, Callable[[str, bool], Any]] = {
        ID: convert_id,
        PHONE: convert_phone,
        NAME: convert_name,
    }
    return plain.get(col.kind, convert_text)
