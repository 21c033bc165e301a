"""A small, generic spreadsheet row importer, driven by a spec (one per table).

A table describes its file once — a ``SheetSpec``: its columns, each with the header spellings
accepted (Chinese first: the template's and the report's header; then English and others), a
converter for its cells and whether a value is required — and hands over two functions: one
that checks a row and turns it into what the table's service takes (``validate``, no writes),
and one that writes one such item through that service (``write``). ``import_sheet`` then:

1. checks the file as a whole through the registry's file checks
   (``bangfu.registry.importers.files``: size, real type by magic bytes, encoding, SHA-256)
   and reads its rows with the registry's sources (.xlsx through calamine with formulas and
   merged cells flagged, .csv in UTF-8 or GB18030); a file that fails here is refused whole;
2. finds the header among the first rows (``header_key`` spellings: full-width forms, spaces,
   brackets and a trailing ``*`` folded; English case-insensitive) and refuses a missing
   required column or a column given twice;
3. converts every cell (the registry's cell converters where they fit: dates, codes, numbers
   stored as numbers), collecting every problem as (row, column header, value, reason, code);
4. checks every row whose cells all converted with ``validate`` — the table's own rules,
   shared with its forms and API — mapping each refusal back to its row and, through the
   refusal's field, its column (so one pass reports every problem of the file);
5. only if no row has a problem, writes every row with ``write`` in **one transaction**; a
   refusal while writing rolls the whole file back and is reported like the others.

With ``rehearse``, the rows that passed ``validate`` are also written when the file is not
(a dry run, or other rows have problems) — in a transaction that is always rolled back — so
the services' own refusals of those rows are reported in the same pass: a dry run finds what
the import would, and a refused file lists every row's problems at once.

All or nothing: a file with one bad row writes nothing. ``write_sheet_report`` gives the
problems as .xlsx (问题清单: row, column, value, code, reason; 有问题的行: the rows as read,
bad cells marked red with the reason as a comment), like the registry's import report;
``write_sheet_template`` gives an empty file with the spec's headers and a sheet explaining
each column.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.money import parse_yuan
from bangfu.registry.codelists import fold
from bangfu.registry.importers import (
    TEXT,
    CellError,
    ImportProblem,
    ImportRefused,
    header_key,
    inspect_file,
    open_source,
)
from bangfu.registry.importers.cells import convert_text
from bangfu.registry.importers.results import HEADER_SEARCH_ROWS, refuse
from bangfu.registry.importers.sources import Cells, CsvSource, XlsxSource, column_letter

T = TypeVar("T")
Converter = Callable[[str, bool], Any]  # (cell text, stored as a number?) → value; CellError
MAX_ROWS = 20_000  # a ledger file is small; a larger one is split by the user


# ---------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class SheetColumn:
    """A column: the field it fills (``key``), the header spellings accepted (the first is the
    template's Chinese header), how a cell converts, whether each row needs a value."""

    key: str
    headers: tuple[str, ...]
    convert: Converter = convert_text
    required: bool = False
    kind: str = TEXT  # the registry's cell kind: IDENT/KEY columns are checked for digit loss
    width: int = 14
    note: Any = ""  # shown in the template's explanation sheet (may be a lazy translation)

    @property
    def header(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class SheetSpec:
    """A table's file: its columns, and for fields that a refusal may name but that are not
    column keys, the columns that stand for them (the first present in the file is marked)."""

    name: str
    columns: tuple[SheetColumn, ...]
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_rows: int = MAX_ROWS

    def lookup(self) -> dict[str, SheetColumn]:
        return {_key(h): c for c in self.columns for h in c.headers}

    def column(self, key: str) -> SheetColumn:
        return next(c for c in self.columns if c.key == key)


def _key(text: object) -> str:
    return header_key(text).lower()


def choice(options: Mapping[str, Sequence[str]], what: str) -> Converter:
    """A converter for a closed list: each value (a code) with the spellings that mean it
    (codes, Chinese and English labels); compared with full-width forms, spaces and case
    folded. ``what`` names the column in the refusal, which lists the first spellings."""
    lookup: dict[str, str] = {}
    for value, spellings in options.items():
        for spelling in (value, *spellings):
            lookup[fold(spelling).lower()] = value
    allowed = "、".join(str(spellings[0]) for spellings in options.values() if spellings)

    def convert(raw: str, numeric: bool) -> str:
        found = lookup.get(fold(raw).lower())
        if found is None:
            raise CellError(
                ErrorCode.IMPORT_CELL_INVALID,
                _("{value!r} is not a {what}; use one of: {allowed}.").format(
                    value=raw.strip(), what=what, allowed=allowed
                ),
            )
        return found

    return convert


def convert_plain(raw: str, numeric: bool) -> str:
    """Text as typed — names such as 某某集团（上海）有限公司 and findings keep their full-width
    brackets and punctuation (``convert_text`` folds them) — with runs of spaces in each line
    made one, blank ends trimmed and line breaks kept; refused when the file's encoding
    damaged it."""
    convert_text(raw, numeric)  # the registry's check for encoding damage
    lines = (" ".join(line.split()) for line in raw.strip().splitlines())
    return "\n".join(lines)


def convert_yuan(raw: str, numeric: bool) -> Decimal:
    """An amount of yuan to the fen, 0 or more, as ``money.parse_yuan`` reads it ("1500",
    "1,500.00"), also written "1500元" or "¥1500": a third decimal place is refused, never
    rounded (12.345 is not 12.35); so is a negative amount."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = text.removesuffix("元").removeprefix("¥").removeprefix("￥").strip()
    try:
        amount = parse_yuan(text, field="amount")
    except BangfuError as error:
        raise CellError(ErrorCode.IMPORT_CELL_INVALID, error.message) from None
    assert amount is not None  # an empty cell is never converted
    return amount


def spellings_of(name: str) -> set[str]:
    """A name as typed, with its brackets and other full-width forms folded (NFKC), and with
    its brackets full-width: how the same name may have been written by a form or a file
    (cells are folded when read; names in the database keep what was typed)."""
    folded = unicodedata.normalize("NFKC", name)
    return {name, folded, folded.replace("(", "（").replace(")", "）")}


# ---------------------------------------------------------------------------- the result


@dataclass
class SheetRow:
    """A row as converted: its number as Excel shows it, and its values by column key (None
    for an empty cell or a column the file does not have)."""

    number: int
    values: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value


@dataclass
class SheetResult:
    file_name: str
    spec: str = ""
    sha256: str = ""
    sheet: str = ""
    header_row: int = 0
    rows_total: int = 0
    written: int = 0
    dry_run: bool = False
    refused: bool = False  # the file as a whole was refused (no row was looked at)
    problems: list[ImportProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # the header row as the file spells it
    bad_rows: dict[int, list[str]] = field(default_factory=dict)  # rows with problems, as read
    outcomes: dict[str, int] = field(default_factory=dict)  # what was written, by kind (callers')

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_with_problems(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})


class _Rollback(Exception):
    """Raised inside the write transaction to undo it when a row was refused."""


# ---------------------------------------------------------------------------- the run


@dataclass
class _Header:
    row: int
    columns: dict[str, int]  # column key → index
    texts: dict[int, str]  # index → the header as the file spells it
    ignored: list[str]


@dataclass
class _Run(Generic[T]):
    spec: SheetSpec
    result: SheetResult
    header: _Header | None = None
    raw: dict[int, Cells] = field(default_factory=dict)

    def problem(self, row: int | None, key: str, value: Any, code: str, message: str) -> None:
        column = ""
        if self.header is not None and key in self.header.columns:
            column = self.header.texts[self.header.columns[key]]
        text = "" if value is None else str(value)
        self.result.problems.append(ImportProblem(row, column, text[:200], str(code), message))

    def cell_text(self, row: int, key: str) -> str:
        if self.header is None or key not in self.header.columns:
            return ""
        cells = self.raw.get(row, [])
        index = self.header.columns[key]
        value = cells[index] if index < len(cells) else None
        return "" if value is None else str(value)

    def column_of(self, field_name: str | None) -> str:
        """The column key a refusal's field stands for (first present in the file), or ""."""
        if not field_name or self.header is None:
            return ""
        present = self.header.columns
        for key in (field_name, *self.spec.fields.get(field_name, ())):
            if key in present:
                return key
        return ""

    def refusal(self, row: int, error: BangfuError) -> None:
        """A service's refusal of a row: each of its problems at its column."""
        problems = getattr(error, "problems", None) or [error]
        for p in problems:
            key = self.column_of(getattr(p, "field", None))
            self.problem(row, key, self.cell_text(row, key) if key else "", p.code, p.message)


def import_sheet(
    path: str | os.PathLike[str],
    *,
    name: str,
    spec: SheetSpec,
    validate: Callable[[SheetRow], T],
    write: Callable[[T], Any],
    dry_run: bool = False,
    rehearse: bool = False,
) -> SheetResult:
    """Import ``path`` (shown as ``name``) by ``spec``: every row checked with ``validate``,
    then, only when none has a problem and not ``dry_run``, every row written with ``write``
    in one transaction. ``validate`` and ``write`` refuse with a ``BangfuError`` (its
    ``field``, or the fields of its ``problems``, name the column). With ``rehearse``, when
    the file is not written the rows that passed ``validate`` are written all the same in a
    transaction rolled back, to report the refusals of ``write`` too (problems then come in
    row order)."""
    result = SheetResult(file_name=name, spec=spec.name, dry_run=dry_run)
    run: _Run[T] = _Run(spec=spec, result=result)
    try:
        rows = _read(Path(path), name, run)
    except ImportRefused as refusal:
        result.refused = True
        result.problems.append(ImportProblem(None, "", "", str(refusal.code), refusal.message))
        return result
    items: list[tuple[int, T]] = []
    unreadable = {p.row for p in result.problems}  # rows with a cell that did not convert
    for row in rows:
        if row.number in unreadable:
            continue  # its values are incomplete: its cells' problems are reported already
        try:
            items.append((row.number, validate(row)))
        except BangfuError as error:
            run.refusal(row.number, error)
    if not result.problems and not dry_run:
        _write(items, write, run)
    elif rehearse and items:
        _write(items, write, run, keep=False)
        result.problems.sort(key=lambda p: -1 if p.row is None else p.row)
    _keep_bad_rows(run)
    return result


def _read(path: Path, name: str, run: _Run[Any]) -> list[SheetRow]:
    info = inspect_file(path, name)
    run.result.sha256 = info.sha256
    source = open_source(info)
    try:
        header = _find_header(source, run.spec)
        run.header = header
        run.result.header_row = header.row
        run.result.ignored_columns = header.ignored
        run.result.sheet = (
            source.sheet_names[source.sheet_index] if isinstance(source, XlsxSource) else ""
        )
        run.result.header = [header.texts.get(i, "") for i in range(max(header.texts) + 1)]
        kinds = {
            index: run.spec.column(key).kind
            for key, index in header.columns.items()
            if run.spec.column(key).kind != TEXT
        }
        source.scan(header.row, kinds)
        return _rows(source, header, run)
    finally:
        source.close()


def _find_header(source: CsvSource | XlsxSource, spec: SheetSpec) -> _Header:
    """The first sheet with a row (among its first rows) naming the spec's columns; the sheet
    stays loaded. Refuses naming what is missing in the row that came closest."""
    lookup = spec.lookup()
    sheets = range(len(source.sheet_names)) if isinstance(source, XlsxSource) else range(1)
    closest: tuple[int, int, Cells] | None = None  # (score, row, cells) over every sheet
    for index in sheets:
        if isinstance(source, XlsxSource):
            source.load(index)
        best: tuple[int, int, Cells] | None = None
        for number, cells in _first_rows(source.rows()):
            score = sum(1 for c in cells if c and _key(c) in lookup)
            if score and (best is None or score > best[0]):
                best = (score, number, cells)
        if best is None:
            continue
        header = _header_of(best[1], best[2], spec, lookup)
        if header is not None:
            return header
        if closest is None or best[0] > closest[0]:
            closest = best
    if closest is None:
        expected = "、".join(c.header for c in spec.columns if c.required)
        raise refuse(
            ErrorCode.IMPORT_HEADER,
            _(
                "No header row was found in the first {n} rows: a header names the columns, "
                "e.g. {expected}. Download the template and fill it in."
            ).format(n=HEADER_SEARCH_ROWS, expected=expected),
        )
    raise _header_refusal(closest[1], closest[2], spec, lookup)


def _first_rows(rows: Iterator[tuple[int, Cells]]) -> Iterator[tuple[int, Cells]]:
    seen = 0
    for number, cells in rows:
        if any(c is not None and str(c).strip() for c in cells):
            yield number, cells
            seen += 1
        if seen >= HEADER_SEARCH_ROWS or number > 5 * HEADER_SEARCH_ROWS:
            return


def _columns(
    cells: Cells, lookup: dict[str, SheetColumn]
) -> tuple[dict[str, int], dict[int, str], list[str], list[str]]:
    columns: dict[str, int] = {}
    texts: dict[int, str] = {}
    ignored: list[str] = []
    twice: list[str] = []
    for index, cell in enumerate(cells):
        text = str(cell).strip() if cell is not None else ""
        if not text:
            continue
        texts[index] = text
        column = lookup.get(_key(text))
        if column is None:
            ignored.append(text)
        elif column.key in columns:
            twice.append(
                _("{header} (columns {a} and {b})").format(
                    header=text, a=column_letter(columns[column.key]), b=column_letter(index)
                )
            )
        else:
            columns[column.key] = index
    return columns, texts, ignored, twice


def _header_of(
    number: int, cells: Cells, spec: SheetSpec, lookup: dict[str, SheetColumn]
) -> _Header | None:
    columns, texts, ignored, twice = _columns(cells, lookup)
    missing = [c for c in spec.columns if c.required and c.key not in columns]
    if missing or twice:
        return None
    return _Header(number, columns, texts, ignored)


def _header_refusal(
    number: int, cells: Cells, spec: SheetSpec, lookup: dict[str, SheetColumn]
) -> ImportRefused:
    columns, _texts, _ignored, twice = _columns(cells, lookup)
    missing = [c.header for c in spec.columns if c.required and c.key not in columns]
    parts = []
    if missing:
        parts.append(_("missing: {columns}").format(columns="、".join(missing)))
    if twice:
        parts.append(_("given twice: {columns}").format(columns="; ".join(twice)))
    return refuse(
        ErrorCode.IMPORT_HEADER,
        _("The header (row {row}) does not fit: {problems}.").format(
            row=number, problems="; ".join(parts)
        ),
    )


def _rows(source: CsvSource | XlsxSource, header: _Header, run: _Run[Any]) -> list[SheetRow]:
    """Every row below the header, converted; blank rows skipped."""
    spec, result = run.spec, run.result
    rows: list[SheetRow] = []
    for number, cells in source.rows():
        if number <= header.row or not any(c is not None and str(c).strip() for c in cells):
            continue
        result.rows_total += 1
        if result.rows_total > spec.max_rows:
            raise refuse(
                ErrorCode.IMPORT_FILE_TOO_LARGE,
                _(
                    "The file has more than {n} rows; import it in parts of at most {n} rows."
                ).format(n=spec.max_rows),
            )
        run.raw[number] = cells
        flags = source.flags.get(number, {})
        numeric = source.numeric.get(number, set())
        values: dict[str, Any] = {}
        for column in spec.columns:
            index = header.columns.get(column.key)
            if index is None:
                values[column.key] = None
                continue
            raw = cells[index] if index < len(cells) else None
            flag = flags.get(index)
            if flag is not None:
                run.problem(number, column.key, flag.value, flag.code, flag.message)
                values[column.key] = None
                continue
            text = "" if raw is None else str(raw)
            if not text.strip():
                if column.required:
                    run.problem(
                        number,
                        column.key,
                        "",
                        ErrorCode.IMPORT_CELL_INVALID,
                        _("{header} is required.").format(header=header.texts[index]),
                    )
                values[column.key] = None
                continue
            try:
                values[column.key] = column.convert(text, index in numeric)
            except CellError as error:
                run.problem(number, column.key, text, error.code, error.message)
                values[column.key] = None
        rows.append(SheetRow(number, values))
    return rows


def _write(
    items: list[tuple[int, T]], write: Callable[[T], Any], run: _Run[T], *, keep: bool = True
) -> None:
    """Every item in one transaction; any refusal undoes them all (and is reported). Without
    ``keep`` (a rehearsal) the transaction is undone whatever happens."""
    written = 0
    try:
        with transaction.atomic():
            for number, item in items:
                try:
                    write(item)
                    written += 1
                except BangfuError as error:  # the service's own savepoint has undone the row
                    run.refusal(number, error)
            if run.result.problems or not keep:
                raise _Rollback
    except _Rollback:
        written = 0
    run.result.written = written


def _keep_bad_rows(run: _Run[Any]) -> None:
    rows = {p.row for p in run.result.problems if p.row is not None}
    run.result.bad_rows = {
        n: ["" if c is None else str(c) for c in run.raw[n]] for n in sorted(rows) if n in run.raw
    }
    run.raw = {}


# ---------------------------------------------------------------------------- files out


def write_sheet_report(result: SheetResult, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """The problems of an import as .xlsx: 问题清单 (row, column, value, code, reason) and
    有问题的行 (each row with a problem as the file had it, its bad cells red with the reason
    as a comment, every reason in a last column; fix them there and import the sheet again)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1})
    bad = workbook.add_format({"bg_color": "#F8CBAD", "font_color": "#9C0006"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    listing = workbook.add_worksheet("问题清单")
    titles = ("行号", "列", "值", "错误代码", "说明")
    for col, (title, width) in enumerate(zip(titles, (8, 16, 22, 24, 90), strict=True)):
        listing.set_column(col, col, width)
        listing.write_string(0, col, title, bold)
    listing.freeze_panes(1, 0)
    for n, p in enumerate(result.problems, start=1):
        listing.write_string(n, 0, str(p.row) if p.row is not None else "")
        listing.write_string(n, 1, p.column)
        listing.write_string(n, 2, p.value)
        listing.write_string(n, 3, p.code)
        listing.write_string(n, 4, p.message, wrap)
    if result.problems:
        listing.autofilter(0, 0, len(result.problems), len(titles) - 1)
    if result.bad_rows and result.header:
        _report_rows(workbook, result, bold, bad)
    workbook.close()


def _report_rows(workbook: Any, result: SheetResult, bold: Any, bad: Any) -> None:
    sheet = workbook.add_worksheet("有问题的行")
    width = len(result.header)
    sheet.write_string(0, 0, "行号", bold)
    for col, title in enumerate(result.header, start=1):
        sheet.write_string(0, col, title, bold)
        sheet.set_column(col, col, 14)
    sheet.write_string(0, width + 1, "问题说明", bold)
    sheet.set_column(width + 1, width + 1, 80)
    sheet.freeze_panes(1, 1)
    by_row: dict[int, dict[str, str]] = {}
    for p in result.problems:
        if p.row is not None:
            by_row.setdefault(p.row, {}).setdefault(p.column, p.message)
    for out, (number, cells) in enumerate(result.bad_rows.items(), start=1):
        problems = by_row.get(number, {})
        sheet.write_number(out, 0, number)
        for col in range(width):
            text = cells[col] if col < len(cells) else ""
            title = result.header[col]
            if title and title in problems:
                sheet.write_string(out, col + 1, text, bad)
                sheet.write_comment(out, col + 1, problems[title][:1000])
            elif text:
                sheet.write_string(out, col + 1, text)
        reasons = [f"{column or '—'}: {message}" for column, message in problems.items()]
        sheet.write_string(out, width + 1, " | ".join(reasons))


def write_sheet_template(spec: SheetSpec, target: str | os.PathLike[str] | IO[bytes]) -> None:
    """An empty file with the spec's headers (required ones marked ``*``, which the import
    ignores), cells formatted as text, and a sheet 填写说明 explaining each column."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"strings_to_numbers": False})
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F6", "border": 1})
    text = workbook.add_format({"num_format": "@"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    sheet = workbook.add_worksheet(spec.name[:31])
    for col, column in enumerate(spec.columns):
        sheet.set_column(col, col, column.width, text)
        sheet.write_string(0, col, column.header + ("*" if column.required else ""), bold)
    sheet.freeze_panes(1, 0)
    notes = workbook.add_worksheet("填写说明")
    titles = ("列", "其他写法 (other spellings)", "必填 (required)", "说明 (note)")
    for col, (title, width) in enumerate(zip(titles, (16, 36, 14, 90), strict=True)):
        notes.set_column(col, col, width)
        notes.write_string(0, col, title, bold)
    for row, column in enumerate(spec.columns, start=1):
        notes.write_string(row, 0, column.header)
        notes.write_string(row, 1, " / ".join(column.headers[1:]))
        notes.write_string(row, 2, "是 yes" if column.required else "")
        notes.write_string(row, 3, str(column.note), wrap)
    workbook.close()
