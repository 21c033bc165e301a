"""Amounts of money in yuan to the fen, one definition for every table of money (assistance,
projects, cooperatives): what an amount may be written as, and how the database sums amounts
exactly.

* ``parse_yuan``: an amount from a form, a file, the API or code — a ``Decimal``, an ``int``
  or text (``1500``, ``1500.00``, ``6,099,000.00``) with at most two decimals (a third is
  refused, never rounded), at most ``MAX_YUAN`` (the columns hold 14 digits, 2 of them
  decimals). Floats are refused: a float cannot hold every amount in yuan and fen exactly.
* ``sum_fen`` / ``yuan``: a sum in whole fen, an integer in every database (SQLite keeps
  decimals as binary floats, so summing them as decimals drifts), and back to yuan.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db.models import BigIntegerField, DecimalField, F, Sum
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode

CENT = Decimal("0.01")
MAX_YUAN = Decimal("999999999999.99")  # max_digits=14, decimal_places=2
_PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # 6,099,000.00

REFUSE = object()  # ``blank=REFUSE``: an empty value is refused


def parse_yuan(
    value: object,
    *,
    field: str,
    positive: bool = False,
    blank: Any = REFUSE,
    signed: bool = False,
) -> Decimal | None:
    """The amount ``value`` stands for, or a refusal naming ``field``. ``positive``: more than
    0 (else 0 is allowed; never below, unless ``signed``: a profit may be a loss). ``blank``:
    what an empty value (None, "") means — refused by default, or the value given (``None``,
    ``Decimal("0.00")``)."""

    def refused(message: str) -> BangfuError:
        return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field)

    if isinstance(value, float):
        raise refused(
            _(
                "Give the amount as an exact decimal (for example the text “1500.00”), not as a "
                "floating-point number: a float cannot hold every amount in yuan and fen exactly."
            )
        )
    if value is None or (isinstance(value, str) and not value.strip()):
        if blank is REFUSE:
            raise refused(_("Give the amount in yuan, for example 1500.00."))
        return blank  # type: ignore[no-any-return]
    amount = _decimal(value, refused)
    if positive and amount <= 0:
        raise refused(
            _(
                "The amount must be more than 0 yuan. A wrong entry is corrected by reversing "
                "it, never by a negative entry."
            )
        )
    if amount < 0 and not signed:
        raise refused(_("An amount cannot be negative."))
    if abs(amount) > MAX_YUAN:
        raise refused(
            _("The amount is more than {max} yuan: check it.").format(max=f"{MAX_YUAN:,}")
        )
    if amount != amount.quantize(CENT):
        raise refused(
            _("{amount} has more than two decimal places: amounts are in yuan and fen.").format(
                amount=amount
            )
        )
    return amount.quantize(CENT)


def _decimal(value: object, refused: Any) -> Decimal:
    if isinstance(value, bool):
        raise refused(_("Give the amount in yuan, for example 1500.00."))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if not (_PLAIN.fullmatch(text) or _GROUPED.fullmatch(text)):
            raise refused(
                _("{value!r} is not an amount in yuan; write it like 1500.00.").format(
                    value=text[:30]
                )
            )
        amount = Decimal(text.replace(",", ""))
    else:
        raise refused(_("Give the amount in yuan, for example 1500.00."))
    if not amount.is_finite():
        raise refused(_("Give the amount in yuan, for example 1500.00."))
    return amount


def yuan_required(
    value: object, *, field: str, positive: bool = False, signed: bool = False
) -> Decimal:
    """``parse_yuan`` of a value that must be given (typed ``Decimal``, never None)."""
    amount = parse_yuan(value, field=field, positive=positive, signed=signed)
    assert amount is not None  # a blank value is refused
    return amount


def parse_figure(
    value: object, *, field: str, maximum: Decimal = MAX_YUAN, signed: bool = False
) -> Decimal | None:
    """A figure that is not money — a quantity, a unit price, a target (mu, jobs, people) — as
    an exact decimal with at most two places, or None when blank; refused naming ``field``
    when it is a float, not a number, below 0 (unless ``signed``) or above ``maximum``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None

    def refused(message: str) -> BangfuError:
        return BangfuError(ErrorCode.VALIDATION_ERROR, message, field=field)

    if isinstance(value, float):
        raise refused(_("Give the figure as text or a decimal, not a float."))
    number = _decimal(value, refused)
    if number < 0 and not signed:
        raise refused(_("{value} is below 0.").format(value=number))
    if abs(number) > maximum:
        raise refused(_("{value} is implausibly large.").format(value=number))
    if number != number.quantize(CENT):
        raise refused(_("{value} has more than two decimal places.").format(value=number))
    return number


def money_field(verbose_name: Any, **options: Any) -> Any:
    """A model field of an amount in yuan to the fen: Decimal, never float (14 digits, the
    ``MAX_YUAN`` of ``parse_yuan``)."""
    return DecimalField(verbose_name, max_digits=14, decimal_places=2, **options)


def fen_of(field: str) -> Any:
    """An amount column as whole fen (for sums and comparisons in the database)."""
    return Cast(Round(F(field) * 100), BigIntegerField())


def sum_fen(field: str) -> Sum:
    """The exact sum of an amount column, in whole fen."""
    return Sum(fen_of(field))


def yuan(fen: int | None) -> Decimal:
    """Whole fen as yuan with two places: exact (``yuan(123456)`` is ``1234.56``)."""
    return Decimal(int(fen or 0)).scaleb(-2).quantize(CENT)
