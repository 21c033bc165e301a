"""What the import tables of every app share (assistance, projects): a ``Table`` (its columns,
row check and writer, run by ``sheets.import_sheet``), the spellings of coded values, the common
columns, and the pieces a row check is made of — ``RowChecks`` (every problem of a row at once),
``at`` (a refusal that names no field shown at a column), ``Seen`` (a row given twice) and
``RecordFinder`` (the records a file names, found once each among those the user sees)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from django.db.models import QuerySet, TextChoices
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode, invalid
from bangfu.regions.models import Region
from bangfu.regions.selectors import region_by_code
from bangfu.registry.importers import DATE, KEY
from bangfu.registry.importers.cells import convert_date, convert_ident
from bangfu.registry.models import Household
from bangfu.registry.services import Problem, ValidationFailed
from bangfu.registry.sheets import SheetColumn, SheetResult, SheetRow, SheetSpec, import_sheet

T = TypeVar("T")
_GLOSS = re.compile(r"\s*\([^()]*\)\s*$")


# ---------------------------------------------------------------------------- coded values


def options(choices: type[TextChoices], zh: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The spellings of each code in ``zh`` (only those): its Chinese spellings first, then its
    English label — whole and without a bracketed gloss — and its label in the active
    language."""
    out: dict[str, list[str]] = {}
    for code, spellings in zh.items():
        label = choices(code).label
        with translation.override("en"):
            english = str(label)
        every = [*spellings, english, _GLOSS.sub("", english), str(label)]
        out[str(code)] = list(dict.fromkeys(s for s in every if s))
    return out


def listing(zh: Mapping[str, Sequence[str]]) -> str:
    """The codes of a column's note: ``务工 (wages) / 分红 (dividend) …``."""
    return " / ".join(f"{spellings[0]} ({code})" for code, spellings in zh.items())


# ---------------------------------------------------------------------------- columns


def date_column(
    key: str, headers: tuple[str, ...], required: bool = False, note: Any = ""
) -> SheetColumn:
    return SheetColumn(
        key,
        headers,
        convert_date,
        required=required,
        kind=DATE,
        width=12,
        note=note or gettext_lazy("2024-03-01, 2024/3/1 or 2024年3月1日."),
    )


def household_column(*, required: bool = True) -> SheetColumn:
    return SheetColumn(
        "household",
        ("户编号", "household number", "household no", "household_no", "户码"),
        convert_ident("户编号"),
        required=required,
        kind=KEY,
        width=20,
        note=gettext_lazy(
            "The household's number in the registry, as text (a number typed as a spreadsheet "
            "number loses its last digits). Only households you may see are found."
        ),
    )


# ---------------------------------------------------------------------------- row checks


class RowChecks:
    """Runs a row's checks one by one and keeps every refusal, so that a row reports all its
    problems at once (``done`` raises them together)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except BangfuError as error:
            self.add(error)
            return None

    def add(self, error: BangfuError) -> None:
        found = getattr(error, "problems", None) or [
            Problem(field=error.field or "", code=str(error.code), message=error.message)
        ]
        self.problems.extend(found)

    def refuse(
        self, field: str, message: str, code: ErrorCode = ErrorCode.VALIDATION_ERROR
    ) -> None:
        self.problems.append(Problem(field=field, code=str(code), message=message))

    def done(self) -> None:
        if self.problems:
            raise ValidationFailed(self.problems)


@contextmanager
def at(field: str) -> Iterator[None]:
    """A service's refusal that names no field (most permission refusals) is shown at
    ``field``'s column."""
    try:
        yield
    except BangfuError as error:
        if not error.field and not getattr(error, "problems", None):
            error.field = field
        raise


class Seen:
    """Rows of a file that name the same thing twice."""

    def __init__(self) -> None:
        self.rows: dict[Any, int] = {}

    def check(self, key: Any, row: int, field: str, what: str) -> None:
        first = self.rows.setdefault(key, row)
        if first != row:
            raise invalid(
                _("{what} is given twice: rows {first} and {row}.").format(
                    what=what, first=first, row=row
                ),
                field,
            )


class RecordFinder:
    """The records a file's rows name, found among those the importing user sees (each looked
    up once per file). An app's finder adds its own records and says which households the user
    sees (``households``)."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        self._cache: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], find: Callable[[], T]) -> T:
        if key not in self._cache:
            try:
                self._cache[key] = find()
            except BangfuError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, BangfuError):
            raise found
        return cast(T, found)

    def households(self) -> QuerySet[Household]:
        raise NotImplementedError

    def household(self, number: str) -> Household:
        def find() -> Household:
            found = self.households().filter(household_no=number).select_related("village")
            household = found.first()
            if household is None:  # absent or outside the scope: the same answer
                raise BangfuError(
                    ErrorCode.HOUSEHOLD_NOT_FOUND,
                    _("No household with the number {no} is visible to you.").format(no=number),
                    field="household",
                )
            return household

        return self._once(("household", number), find)

    def region(self, code: str | None, field: str) -> Region:
        """Regions are reference data: that one exists is no secret."""
        return self._once(("region", code, field), lambda: region_by_code(code, field))


# ---------------------------------------------------------------------------- tables


def may_capture(user: Any) -> bool:
    """Someone with a capture scope (village, township, county, office staff; administrators)."""
    return (
        bool(getattr(user, "is_authenticated", False)) and not scope_for(user, "capture").is_empty
    )


@dataclass(frozen=True)
class Table:
    """An importable table: ``spec`` builds its columns (per call: notes in the active
    language); ``validate(actor)`` and ``write(actor)`` give the row check and the writer of
    one import (a writer returns what it did, counted in ``SheetResult.outcomes``);
    ``may_import`` says who may open its page (the services still check every row), and
    ``denied`` why not, when the page's general reason does not fit."""

    key: str
    label: Any
    spec: Callable[[], SheetSpec]
    validate: Callable[[Any], Callable[[SheetRow], Any]]
    write: Callable[[Any], Callable[[Any], str]]
    may_import: Callable[[Any], bool]
    note: Any = ""
    denied: Any = ""

    def run(self, path: str | Path, *, name: str, actor: Any, dry_run: bool = False) -> SheetResult:
        """Import the file as ``actor``: all or nothing (see ``sheets.import_sheet``); every
        row the checks pass is rehearsed through the services when nothing is written, so a
        dry run reports what the import would."""
        outcomes: Counter[str] = Counter()
        writer = self.write(actor)

        def write(item: Any) -> None:
            outcomes[writer(item)] += 1

        result = import_sheet(
            path,
            name=name,
            spec=self.spec(),
            validate=self.validate(actor),
            write=write,
            dry_run=dry_run,
            rehearse=True,
        )
        if result.written:
            result.outcomes = dict(outcomes)
        return result
