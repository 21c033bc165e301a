"""Region codes: the 12-digit statistical division code and what follows from it.

Shape: 2 province + 2 prefecture + 2 county digits (GB/T 2260) + 3 township + 3 village digits;
a natural village (自然村) appends 3 more digits (15 in all). A region's *significant prefix* is
the part of its code that its level fixes (``53`` for Yunnan, ``532822`` for Menghai County);
every descendant's code starts with it, so subtree queries are a single index range scan.
Pure functions, no Django: the engine and the importers use them too.
"""

from __future__ import annotations

from enum import IntEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.core.errors import BangfuError, ErrorCode


class Level(IntEnum):
    PROVINCE = 1
    PREFECTURE = 2
    COUNTY = 3
    TOWNSHIP = 4
    VILLAGE = 5
    NATURAL_VILLAGE = 6


# How many leading digits each level fixes.
PREFIX_LENGTH: dict[Level, int] = {
    Level.PROVINCE: 2,
    Level.PREFECTURE: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
    Level.NATURAL_VILLAGE: 15,
}
CODE_LENGTH = 12
NATURAL_VILLAGE_CODE_LENGTH = 15
LEVEL_NAMES: dict[str, Level] = {level.name.lower(): level for level in Level}
LEVEL_LABELS = {
    Level.PROVINCE: gettext_lazy("Province"),
    Level.PREFECTURE: gettext_lazy("Prefecture"),
    Level.COUNTY: gettext_lazy("County"),
    Level.TOWNSHIP: gettext_lazy("Township"),
    Level.VILLAGE: gettext_lazy("Village"),
    Level.NATURAL_VILLAGE: gettext_lazy("Natural village"),
}


def level_label(level: Level | int) -> str:
    """The level's name in the active language, in lower case for use inside sentences."""
    return str(LEVEL_LABELS[Level(level)]).lower()


def code_length(level: Level) -> int:
    return NATURAL_VILLAGE_CODE_LENGTH if level is Level.NATURAL_VILLAGE else CODE_LENGTH


def parse_level(value: str | int) -> Level:
    """A level from its name (``county``) or number (3)."""
    try:
        return Level(int(value)) if str(value).isdigit() else LEVEL_NAMES[str(value).lower()]
    except (KeyError, ValueError):
        names = ", ".join(LEVEL_NAMES)
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Unknown level {value!r}; use one of {names}.").format(value=value, names=names),
            field="level",
        ) from None


def check_code_shape(code: str, *, field: str = "code") -> str:
    """The code itself, if it is 12 or 15 ASCII digits; otherwise a clear refusal."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit():
        raise BangfuError(
            ErrorCode.REGION_CODE_MALFORMED,
            _("Region code {code!r} must consist of digits 0-9 only.").format(code=code),
            field=field,
        )
    if len(code) not in (CODE_LENGTH, NATURAL_VILLAGE_CODE_LENGTH):
        raise BangfuError(
            ErrorCode.REGION_CODE_MALFORMED,
            _(
                "Region code {code!r} has {n} digits; "
                "a region code has 12 (15 for a natural village)."
            ).format(code=code, n=len(code)),
            field=field,
        )
    return code


def infer_level(code: str) -> Level:
    """The level a well-formed code denotes, read from where its trailing zero groups start."""
    check_code_shape(code)
    if len(code) == NATURAL_VILLAGE_CODE_LENGTH:
        return Level.NATURAL_VILLAGE
    for level in (Level.VILLAGE, Level.TOWNSHIP, Level.COUNTY, Level.PREFECTURE):
        shorter = PREFIX_LENGTH[Level(level - 1)]
        if code[shorter : PREFIX_LENGTH[level]].strip("0"):
            return level
    if code[:2] == "00":
        raise BangfuError(
            ErrorCode.REGION_CODE_MALFORMED,
            _("Region code {code!r} has no province digits.").format(code=code),
        )
    return Level.PROVINCE


def check_code_for_level(code: str, level: Level) -> str:
    """Refuse a code whose digits do not fit the declared level (a county code for a village)."""
    actual = infer_level(code)
    if actual is not level:
        raise BangfuError(
            ErrorCode.REGION_CODE_LEVEL_MISMATCH,
            _("Region code {code} is shaped like a {actual} code, not a {level} code.").format(
                code=code, actual=level_label(actual), level=level_label(level)
            ),
            field="code",
        )
    return code


def significant_prefix(code: str) -> str:
    """The digits that every descendant's code shares: ``532822`` for ``532822000000``."""
    return code[: PREFIX_LENGTH[infer_level(code)]]


def is_descendant_code(child: str, ancestor: str) -> bool:
    """True when ``child`` lies strictly below ``ancestor`` in the code tree."""
    return child != ancestor and child.startswith(significant_prefix(ancestor))


def ancestor_codes(code: str) -> list[str]:
    """Codes of every level above ``code``, top first; some may not exist (e.g. ``310100``)."""
    level = infer_level(code)
    result = []
    for upper in Level:
        if upper >= level:
            break
        prefix = code[: PREFIX_LENGTH[upper]]
        if prefix.strip("0"):
            result.append(prefix.ljust(CODE_LENGTH, "0"))
    return list(dict.fromkeys(result))


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Inclusive bounds of all 12- and 15-digit codes starting with ``prefix``.

    Digit-only strings compare digit by digit in every collation (C, ICU, glibc), so a plain
    ``BETWEEN`` on the indexed code column selects exactly the subtree.
    """
    return (
        prefix.ljust(CODE_LENGTH, "0"),
        prefix.ljust(NATURAL_VILLAGE_CODE_LENGTH, "9"),
    )
