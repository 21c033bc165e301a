"""Chinese resident ID numbers (公民身份号码, GB 11643-1999): the boundary where they enter Bangfu.

Shape of the 18-character number::

    532822 19900101 123 4
    region birth    seq check

* ``region``: the 6-digit GB/T 2260 code of the place of first registration. It is *not*
  checked against the current region tree: codes are renamed and merged, the number is not.
* ``birth``: the birth date, ``YYYYMMDD``.
* ``seq``: a sequence number; its last digit (the 17th of the number) is odd for men and even
  for women.
* ``check``: the ISO 7064 MOD 11-2 check character, ``0``-``9`` or ``X`` (for 10).

First-generation cards (issued until 1999) carry a 15-digit number without a check
character and with a two-digit year (``YYMMDD``). Every such number belongs to someone born in
the 1900s, so :func:`parse_id_number` upgrades it the way the public security authorities do:
insert ``19`` before the year and append the computed check character. The upgraded 18-character
number is what Bangfu stores and compares.

Birth dates before 1900-01-01 are refused (Bangfu registers living people; such a date is a
typo in the year), as are birth dates in the future.

Refusals are :class:`~bangfu.core.errors.BangfuError` with an ``ID_NUMBER_*`` code. Their
messages never repeat the full number (they end up in logs and import reports); they say which
part is wrong instead. Pure functions, no database.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
from dataclasses import dataclass
from operator import mul
from typing import Literal

from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "IdNumber",
    "Sex",
    "check_character",
    "check_consistency",
    "mask_id_number",
    "normalize_id_text",
    "parse_id_number",
    "upgrade_legacy_number",
]

Sex = Literal["M", "F"]

ID_LENGTH = 18
LEGACY_LENGTH = 15
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum mod 11)

_ASCII_DIGITS = frozenset("0123456789")
# Full-width digits and X (what Chinese input methods type in full-width mode) to ASCII.
_FULL_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, "Ｘ": "X", "ｘ": "X", "x": "X"}
)
# Invisible characters that pasting from web pages, Word or WeChat leaves behind; ordinary
# whitespace (including U+3000 ideographic space and NBSP) is removed by str.split().
_INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff"))
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?E[+-]?\d+", re.IGNORECASE)
_DECIMAL_ZERO = re.compile(r"\d+[.,]0+")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


@dataclass(frozen=True, slots=True, repr=False)
class IdNumber:
    """A valid ID number and what it says. ``repr`` masks the number (safe to log)."""

    number: str  # canonical: 18 characters, digits and possibly a final X
    birth_date: datetime.date
    sex: Sex  # "M" when the 17th digit is odd, "F" when even
    region_code: str  # the first 6 digits

    def __repr__(self) -> str:
        return f"IdNumber({mask_id_number(self.number)})"

    __str__ = __repr__


def _damaged(message: str, field: str) -> BangfuError:
    return BangfuError(ErrorCode.ID_NUMBER_EXCEL_DAMAGED, message, field=field)


def _preview(value: numbers.Number) -> str:
    """A number the way a spreadsheet shows it (``5.32822e+17``); never all of its digits."""
    try:
        return f"{value:.6g}"
    except (TypeError, ValueError):
        return type(value).__name__


def _normalize(raw: object, field: str) -> str:
    if type(raw) is str and _is_clean_number(raw):
        return raw  # the usual cell: 18 ASCII characters, nothing to strip or detect
    if raw is None:
        return ""
    if isinstance(raw, bool) or not isinstance(raw, str | numbers.Number):
        raise BangfuError(
            ErrorCode.ID_NUMBER_MALFORMED,
            _("The ID number must be text, not a value of type {kind}.").format(
                kind=type(raw).__name__
            ),
            field=field,
        )
    if isinstance(raw, numbers.Number):
        if isinstance(raw, float) and math.isnan(raw):  # an empty cell read by pandas
            return ""
        raise _damaged(
            _(
                "The ID number arrived as a number ({value}), not as text. Spreadsheets keep "
                "only 15 significant digits of a number, so the last digits of an 18-digit ID "
                "number are lost (and a final X cannot be stored at all). Format the column as "
                "Text and enter the numbers again from the source documents."
            ).format(value=_preview(raw)),
            field,
        )
    text = raw.translate(_INVISIBLE).translate(_FULL_WIDTH)
    text = "".join(text.split())
    if text.startswith("'"):  # Excel's "store as text" prefix, kept by some CSV exports
        text = text[1:]
    if text.isascii() and text.rstrip("X").isdigit():  # the usual case: nothing to detect
        return text
    if _SCIENTIFIC.fullmatch(text):
        raise _damaged(
            _(
                "The ID number {value} is in scientific notation: the spreadsheet stored it as "
                "a number and the last digits are lost. Format the column as Text and enter "
                "the numbers again from the source documents."
            ).format(value=text),
            field,
        )
    if _DECIMAL_ZERO.fullmatch(text):
        raise _damaged(
            _(
                "The ID number ends in '{tail}': the spreadsheet stored it as a number, which "
                "keeps only 15 significant digits, so its last digits cannot be trusted. Format "
                "the column as Text and enter the numbers again from the source documents."
            ).format(tail=text[len(text.rstrip("0")) - 1 :]),
            field,
        )
    if _THOUSANDS.fullmatch(text):
        raise _damaged(
            _(
                "The ID number contains thousands separators: the spreadsheet stored it as a "
                "number, which keeps only 15 significant digits. Format the column as Text and "
                "enter the numbers again from the source documents."
            ),
            field,
        )
    return text


def _is_clean_number(text: str) -> bool:
    return (
        len(text) == ID_LENGTH
        and text.isascii()
        and text[:17].isdigit()
        and text[17] in "0123456789X"
    )


def normalize_id_text(raw: object, *, field: str = "id_number") -> str:
    """Turn what a form or spreadsheet cell holds into a candidate ID number string.

    Removes all whitespace (also U+3000 ideographic space, NBSP, tabs, line breaks) and
    zero-width characters, a leading ``'`` (Excel's text prefix), converts full-width digits
    and ``Ｘ``/``ｘ`` to ASCII and a lower-case ``x`` to ``X``. ``None`` (and a NaN float, an
    empty cell in pandas) gives ``""``. Nothing is validated here beyond spreadsheet damage.

    Raises ``ID_NUMBER_EXCEL_DAMAGED`` for the typical marks of a column that was stored as
    numbers: an ``int``/``float``/``Decimal`` value, scientific notation (``5.32822E+17``), a
    trailing ``.0`` and thousands separators. Such values have lost their last digits; they are
    refused, never repaired. ``ID_NUMBER_MALFORMED`` for values of any other type.
    """
    return _normalize(raw, field)


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != ID_LENGTH - 1 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("check_character needs exactly 17 ASCII digits")
    # map/operator.mul instead of a generator: an import computes this 400,000 times
    total = sum(map(mul, map(int, first17), WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def upgrade_legacy_number(number15: str) -> str:
    """The 18-character number for a 15-digit first-generation one (``19`` + check character).

    ``110105491231002`` becomes ``11010519491231002X``. The argument must be 15 ASCII digits.
    """
    if len(number15) != LEGACY_LENGTH or not set(number15) <= _ASCII_DIGITS:
        raise ValueError("upgrade_legacy_number needs exactly 15 ASCII digits")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def _check_characters(text: str, field: str) -> None:
    digits = len(text) if len(text) == LEGACY_LENGTH else ID_LENGTH - 1
    if (
        text.isascii()
        and text[:digits].isdigit()
        and (len(text) == digits or _is_clean_number(text))
    ):
        return  # the usual case; the loop below only finds the character to name
    for position, char in enumerate(text[:digits], start=1):
        if char not in _ASCII_DIGITS:
            raise BangfuError(
                ErrorCode.ID_NUMBER_MALFORMED,
                _(
                    "Character {position} of the ID number is {char!r}; the first {digits} "
                    "characters must be digits 0-9."
                ).format(position=position, char=char, digits=digits),
                field=field,
            )
    if len(text) == ID_LENGTH and text[-1] not in _ASCII_DIGITS | {"X"}:
        raise BangfuError(
            ErrorCode.ID_NUMBER_MALFORMED,
            _("The last character of the ID number is {char!r}; it must be a digit or X.").format(
                char=text[-1]
            ),
            field=field,
        )


def _birth_date(number: str, field: str, today: datetime.date) -> datetime.date:
    digits = number[6:14]
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise BangfuError(
            ErrorCode.ID_NUMBER_BIRTH_DATE_INVALID,
            _(
                "The birth date in the ID number (characters 7-14: {digits}) is not a real "
                "date; check the month and day."
            ).format(digits=digits),
            field=field,
        ) from None
    if born > today:
        raise BangfuError(
            ErrorCode.ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE,
            _("The birth date in the ID number, {date}, lies in the future.").format(
                date=born.isoformat()
            ),
            field=field,
        )
    if born < EARLIEST_BIRTH_DATE:
        raise BangfuError(
            ErrorCode.ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE,
            _(
                "The birth date in the ID number, {date}, is before {earliest}; the registry "
                "holds living people, so the year is probably mistyped."
            ).format(date=born.isoformat(), earliest=EARLIEST_BIRTH_DATE.isoformat()),
            field=field,
        )
    return born


def parse_id_number(
    raw: object, *, field: str = "id_number", today: datetime.date | None = None
) -> IdNumber:
    """Validate an ID number from a form, spreadsheet or API and say what it encodes.

    ``raw`` goes through :func:`normalize_id_text` first (spaces, full-width characters,
    lower-case ``x``, spreadsheet damage). An 18-character number must have 17 digits and a
    correct check character (a digit or ``X``). A 15-digit first-generation number is accepted
    and upgraded to 18 characters (``19`` inserted before its two-digit year, check character
    appended); the result carries the upgraded number. The birth date must be a real date, not
    in the future (``today`` defaults to the current date in ``TIME_ZONE``) and not before
    1900-01-01.

    Raises :class:`BangfuError` with ``field`` set and one of the codes
    ``ID_NUMBER_MISSING``, ``ID_NUMBER_EXCEL_DAMAGED``, ``ID_NUMBER_WRONG_LENGTH``,
    ``ID_NUMBER_MALFORMED``, ``ID_NUMBER_CHECKSUM`` (the message names the expected check
    character), ``ID_NUMBER_BIRTH_DATE_INVALID`` or ``ID_NUMBER_BIRTH_DATE_OUT_OF_RANGE``.
    """
    text = _normalize(raw, field)
    if not text:
        raise BangfuError(ErrorCode.ID_NUMBER_MISSING, _("No ID number was given."), field=field)
    if len(text) not in (ID_LENGTH, LEGACY_LENGTH):
        raise BangfuError(
            ErrorCode.ID_NUMBER_WRONG_LENGTH,
            _(
                "The ID number has {n} characters; it must have 18 "
                "(or 15 for a first-generation card)."
            ).format(n=len(text)),
            field=field,
        )
    _check_characters(text, field)
    if len(text) == LEGACY_LENGTH:
        number = upgrade_legacy_number(text)
    else:
        number = text
        expected = check_character(text[:17])
        if text[17] != expected:
            message = _(
                "The ID number's check character (the 18th) is {given}, but the first 17 "
                "digits give {expected}; a digit is probably mistyped."
            ).format(given=text[17], expected=expected)
            if text.endswith("000"):
                message += " " + _(
                    "It ends in 000, as numbers do after a spreadsheet cut them to 15 "
                    "significant digits: check that the column is formatted as Text."
                )
            raise BangfuError(ErrorCode.ID_NUMBER_CHECKSUM, message, field=field)
    born = _birth_date(number, field, today or timezone.localdate())
    return IdNumber(
        number=number,
        birth_date=born,
        sex="M" if int(number[16]) % 2 else "F",
        region_code=number[:6],
    )


def mask_id_number(number: str) -> str:
    """``532822**********12``: the first 6 and last 2 characters visible, the rest ``*``.

    Only a string of 18 or 15 characters (an ID number, or a legacy one) is partly shown;
    anything else (short, odd, half-typed input) is masked entirely, keeping its length.
    ``None`` gives ``""``.
    """
    if not isinstance(number, str):
        number = "" if number is None else str(number)
    if len(number) not in (ID_LENGTH, LEGACY_LENGTH):
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 8) + number[-2:]


_SEX_ALIASES: dict[str, Sex] = {"M": "M", "F": "F", "男": "M", "女": "F"}


def check_consistency(
    idn: IdNumber,
    *,
    birth_date: datetime.date | None = None,
    sex: str | None = None,
) -> None:
    """Refuse a separately entered birth date or sex that disagrees with the ID number.

    ``None`` means "not entered" and is not checked. ``birth_date`` may be a ``datetime`` (as
    spreadsheets give); its date is compared. ``sex`` is ``"M"``/``"F"`` (either case) or
    ``男``/``女``. Raises ``ID_NUMBER_BIRTH_DATE_MISMATCH`` (field ``birth_date``) or
    ``ID_NUMBER_SEX_MISMATCH`` (field ``sex``); an unknown ``sex`` value is a
    ``VALIDATION_ERROR``.
    """
    if birth_date is not None:
        if isinstance(birth_date, datetime.datetime):
            birth_date = birth_date.date()
        if birth_date != idn.birth_date:
            raise BangfuError(
                ErrorCode.ID_NUMBER_BIRTH_DATE_MISMATCH,
                _(
                    "The birth date {entered} does not match the ID number, which gives {date}."
                ).format(entered=birth_date.isoformat(), date=idn.birth_date.isoformat()),
                field="birth_date",
            )
    if sex is not None:
        canonical = _SEX_ALIASES.get(sex.strip().upper())
        if canonical is None:
            raise BangfuError(
                ErrorCode.VALIDATION_ERROR,
                _("Unknown sex {sex!r}; use M or F.").format(sex=sex),
                field="sex",
            )
        if canonical != idn.sex:
            raise BangfuError(
                ErrorCode.ID_NUMBER_SEX_MISMATCH,
                _(
                    "The sex {entered} does not match the ID number, whose 17th digit says {sex} "
                    "(odd for men, even for women)."
                ).format(entered=_sex_label(canonical), sex=_sex_label(idn.sex)),
                field="sex",
            )


def _sex_label(sex: Sex) -> str:
    return _("male") if sex == "M" else _("female")
