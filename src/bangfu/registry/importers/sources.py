"""Reading rows from CSV and .xlsx (formulas, merged cells and number cells flagged), and finding
the header."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from bangfu.core.errors import ErrorCode
from bangfu.registry.importers.files import FileInfo
from bangfu.registry.importers.layouts import (
    BANGFU,
    ID,
    IDENT,
    KEY,
    LAYOUTS,
    NATIONAL,
    Layout,
    header_key,
)
from bangfu.registry.importers.results import HEADER_SEARCH_ROWS, refuse

# --- reading rows -------------------------------------------------------------------------

Cells = list[str | None]


@dataclass
class CellFlag:
    """A cell a workbook marks as unusable: a formula, or a cell hidden by a merge."""

    code: str
    message: str
    value: str


class CsvSource:
    kind = "csv"

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        with info.path.open(encoding=info.encoding, newline="") as handle:
            first = handle.readline()
        counts = {d: first.count(d) for d in (",", "\t", ";")}
        self.delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        self.flags: dict[int, dict[int, CellFlag]] = {}
        self.numeric: dict[int, set[int]] = {}

    def rows(self, start: int = 0) -> Iterator[tuple[int, Cells]]:
        with self.info.path.open(encoding=self.info.encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                yield from enumerate(reader, start=1)
            except csv.Error as error:
                raise refuse(
                    ErrorCode.IMPORT_FILE_TYPE,
                    _("The CSV file cannot be read at row {row}: {reason}.").format(
                        row=reader.line_num, reason=error
                    ),
                ) from None

    def scan(self, header_row: int, columns: dict[int, str]) -> None:
        """Nothing to scan in a text file: no formulas, no merges, no cell types."""

    def close(self) -> None:
        pass


class XlsxSource:
    """A workbook read with fastexcel (calamine): every cell as text, the first sheet whose
    header Bangfu recognises. Formulas, merged cells and cells typed as numbers (which matter
    for ID numbers) are found by scanning the sheet's XML, since the cell values alone do not
    tell them."""

    kind = "xlsx"
    CHUNK = 1 << 22

    def __init__(self, info: FileInfo) -> None:
        import fastexcel

        self.info = info
        self.flags: dict[int, dict[int, CellFlag]] = {}
        self.numeric: dict[int, set[int]] = {}
        try:
            self.reader = fastexcel.read_excel(str(info.path))
            self.sheet_names: list[str] = list(self.reader.sheet_names)
        except Exception as error:  # calamine's errors are many; any of them means unreadable
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _(
                    "The workbook cannot be read: {reason}. Open it in Excel and save it again."
                ).format(reason=str(error).splitlines()[0][:200]),
            ) from None
        if not self.sheet_names:
            raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The workbook has no sheets."))
        self.sheet_index = 0
        self.frame: Any = None
        self.offsets: list[int] = []

    def load(self, index: int) -> None:
        try:
            sheet = self.reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
            self.offsets = [c.absolute_index for c in sheet.selected_columns]
            self.frame = sheet.to_polars()
        except Exception as error:
            raise refuse(
                ErrorCode.IMPORT_FILE_TYPE,
                _("Sheet {sheet} cannot be read: {reason}.").format(
                    sheet=self.sheet_names[index], reason=str(error).splitlines()[0][:200]
                ),
            ) from None
        self.sheet_index = index
        _release_memory()

    def rows(self, start: int = 0) -> Iterator[tuple[int, Cells]]:
        frame = self.frame
        if frame is None:
            return
        offsets = self.offsets
        lead = offsets[0] if offsets else 0
        dense = offsets == list(range(lead, lead + len(offsets)))
        width = (offsets[-1] + 1) if offsets else 0
        step = 5000
        for begin in range(start, frame.height, step):
            part = frame.slice(begin, step)
            columns = [part.get_column(name).to_list() for name in part.columns]
            for i, values in enumerate(zip(*columns, strict=True)):
                if dense:
                    cells: Cells = [None] * lead + list(values)
                else:
                    cells = [None] * width
                    for offset, value in zip(offsets, values, strict=True):
                        cells[offset] = value
                yield begin + i + 1, cells

    def close(self) -> None:
        self.frame = None

    def scan(self, header_row: int, columns: dict[int, str]) -> None:
        """Find formulas, merged cells and (in ``columns``: index → kind) cells stored as
        numbers, below the header row."""
        path = self._sheet_path()
        if path is None:
            return
        wanted = {index: kind for index, kind in columns.items() if kind in {ID, KEY, IDENT}}
        letters = b"|".join(column_letter(i).encode() for i in sorted(wanted)) or b"@"
        numeric_cell = re.compile(
            rb'<c r="(' + letters + rb')(\d+)"((?:\s+[\w:]+="[^"]*")*)\s*>\s*<v>'
        )
        formula = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f\b[^>]*?(?:/>|>([^<]*)</f>)')
        merge = re.compile(rb'<mergeCell ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
        merges: list[tuple[int, int, int, int]] = []
        with zipfile.ZipFile(self.info.path) as archive, archive.open(path) as stream:
            tail = b""
            while True:
                chunk = stream.read(self.CHUNK)
                data = tail + chunk
                if chunk:
                    cut = data.rfind(b"</c>") + 4 if b"</c>" in data else 0
                    cut = max(cut, data.rfind(b"/>") + 2 if b"<mergeCell" in data else 0)
                    part, tail = data[:cut], data[cut:]
                else:
                    part, tail = data, b""
                if wanted:
                    for letter, row, attributes in numeric_cell.findall(part):
                        if b' t="' in attributes and b' t="n"' not in attributes:
                            continue
                        number = int(row)
                        if number > header_row:
                            self.numeric.setdefault(number, set()).add(
                                column_index(letter.decode())
                            )
                if b"<f" in part:
                    for letter, row, text in formula.findall(part):
                        number = int(row)
                        if number > header_row:
                            self._flag(
                                number,
                                column_index(letter.decode()),
                                ErrorCode.IMPORT_FORMULA,
                                _(
                                    "Cell {cell} holds a formula (={formula}); Bangfu never "
                                    "evaluates formulas. Copy the column and paste it back as "
                                    "values (选择性粘贴 → 数值)."
                                ).format(
                                    cell=f"{letter.decode()}{number}",
                                    formula=_xml_text(text)[:80],
                                ),
                                "=" + _xml_text(text)[:80],
                            )
                if b"<mergeCell" in part:
                    for a, r1, b, r2 in merge.findall(part):
                        merges.append(
                            (int(r1), column_index(a.decode()), int(r2), column_index(b.decode()))
                        )
                if not chunk:
                    break
        for r1, c1, r2, c2 in merges:
            first = f"{column_letter(c1)}{r1}"
            span = f"{first}:{column_letter(c2)}{r2}"
            for row in range(max(r1, header_row + 1), r2 + 1):
                for col in range(c1, c2 + 1):
                    if (row, col) == (r1, c1):
                        continue
                    self._flag(
                        row,
                        col,
                        ErrorCode.IMPORT_MERGED_CELLS,
                        _(
                            "Cell {cell} is inside the merged cells {span}: only {first} keeps "
                            "a value, so this row has lost its own. Unmerge the cells "
                            "(取消单元格合并) and fill the value into every row."
                        ).format(cell=f"{column_letter(col)}{row}", span=span, first=first),
                        "",
                    )

    def _flag(self, row: int, col: int, code: str, message: str, value: str) -> None:
        self.flags.setdefault(row, {}).setdefault(col, CellFlag(code, message, value))

    def _sheet_path(self) -> str | None:
        """The XML part of the loaded sheet (workbook order, through the relationships)."""
        with zipfile.ZipFile(self.info.path) as archive:
            try:
                workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
                rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            except KeyError:
                return None
            names = set(archive.namelist())
        sheets = re.findall(r"<(?:\w+:)?sheet\b([^>]*)/?>", workbook)
        if self.sheet_index >= len(sheets):
            return None
        rid = re.search(r'\br:id="([^"]+)"|\bid="([^"]+)"', sheets[self.sheet_index])
        if rid is None:
            return None
        wanted = rid.group(1) or rid.group(2)
        for rel in re.findall(r"<(?:\w+:)?Relationship\b([^>]*)/?>", rels):
            if re.search(rf'\bId="{re.escape(wanted)}"', rel):
                target = re.search(r'\bTarget="([^"]+)"', rel)
                if target is None:
                    return None
                path = target.group(1)
                path = path.lstrip("/") if path.startswith("/") else f"xl/{path}"
                return path if path in names else None
        return None


def _release_memory() -> None:
    """Give the memory calamine used for the sheet back to the system (glibc keeps freed
    memory otherwise, and the import's peak would be the sheet plus everything after it)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    value = 0
    for char in letters:
        value = value * 26 + ord(char) - 64
    return value - 1


def open_source(info: FileInfo) -> CsvSource | XlsxSource:
    return XlsxSource(info) if info.kind == "xlsx" else CsvSource(info)


# --- the header ---------------------------------------------------------------------------


@dataclass
class Header:
    row: int  # as Excel shows it
    layout: Layout
    columns: dict[str, int]  # column key → index in the row
    texts: dict[int, str]  # index → the header as the file spells it
    ignored: list[str]


_ALL_SPELLINGS = {
    header_key(s) for layout in LAYOUTS.values() for c in layout.columns for s in c.spellings()
}
_BANGFU_ONLY = {header_key(s) for c in BANGFU.columns for s in c.spellings()} - {
    header_key(s) for c in NATIONAL.columns for s in c.spellings()
}
MOJIBAKE = re.compile("[\u00c0-\u00ff][\u0080-\u00ff]")


def find_header(rows: Sequence[tuple[int, Cells]], forced: str | None) -> Header:
    """The header row among the first rows, its layout and columns; refuses a missing or
    garbled header, naming the missing columns."""
    nonempty = [(n, cells) for n, cells in rows if any(c and str(c).strip() for c in cells)]
    if not nonempty:
        raise refuse(ErrorCode.IMPORT_FILE_EMPTY, _("The file has no rows."))
    best: tuple[int, Cells] | None = None
    best_score = 0
    for number, cells in nonempty:
        score = sum(1 for c in cells if c and header_key(c) in _ALL_SPELLINGS)
        if score > best_score:
            best, best_score = (number, cells), score
        if score >= 4:
            break
    if best is None or best_score < 3:
        for _row, cells in nonempty[:3]:
            _refuse_garbled([c for c in cells if c])
        expected = "、".join(c.header for c in NATIONAL.columns[:8])
        raise refuse(
            ErrorCode.IMPORT_HEADER,
            _(
                "No header row was found in the first {n} rows: a header names the columns, "
                "e.g. {expected}. Download the template, or use the national 26-column layout."
            ).format(n=HEADER_SEARCH_ROWS, expected=expected),
        )
    number, cells = best
    keys = {i: header_key(c) for i, c in enumerate(cells) if c and str(c).strip()}
    if forced:
        layout = LAYOUTS[forced]
    else:
        layout = BANGFU if any(k in _BANGFU_ONLY for k in keys.values()) else NATIONAL
    lookup = layout.lookup()
    columns: dict[str, int] = {}
    texts: dict[int, str] = {}
    ignored: list[str] = []
    twice: list[str] = []
    for index, key in keys.items():
        text = str(cells[index]).strip()
        texts[index] = text
        column = lookup.get(key)
        if column is None:
            ignored.append(text)
        elif column in columns:
            twice.append(
                _("{header} (columns {a} and {b})").format(
                    header=text, a=column_letter(columns[column]), b=column_letter(index)
                )
            )
        else:
            columns[column] = index
    missing = [c.header for c in layout.columns if c.required and c.key not in columns]
    if missing or twice:
        parts = []
        if missing:
            parts.append(_("missing: {columns}").format(columns="、".join(missing)))
        if twice:
            parts.append(_("given twice: {columns}").format(columns="; ".join(twice)))
        raise refuse(
            ErrorCode.IMPORT_HEADER,
            _("The header (row {row}) does not fit the {layout} layout: {problems}.").format(
                row=number, layout=layout.label, problems="; ".join(parts)
            ),
        )
    return Header(number, layout, columns, texts, ignored)


def _refuse_garbled(texts: list[Any]) -> None:
    """Refuse with advice when the header is mojibake: text decoded with the wrong encoding."""
    joined = "".join(str(t) for t in texts)
    if "\ufffd" in joined:
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The header contains replacement characters (�): the file was converted with the "
                "wrong encoding before it came here, and the original characters are lost. "
                "Go back to the original file and save it as “CSV UTF-8 (逗号分隔)(*.csv)” or "
                "as .xlsx."
            ),
        )
    for encoding in ("latin-1", "cp1252"):
        try:
            repaired = joined.encode(encoding).decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _looks_like_header(repaired) and repaired != joined:
            raise refuse(
                ErrorCode.IMPORT_ENCODING,
                _(
                    "The header reads “{garbled}”: Chinese (GB18030/GBK) text that some program "
                    "decoded as Latin-1 and saved again. Open the original file in Excel or WPS "
                    "and save it as “CSV UTF-8 (逗号分隔)(*.csv)” or as .xlsx."
                ).format(garbled=joined[:40]),
            )
    try:
        repaired = joined.encode("gb18030").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return
    if _looks_like_header(repaired):
        raise refuse(
            ErrorCode.IMPORT_ENCODING,
            _(
                "The header reads “{garbled}”: UTF-8 text read as GB18030, because the file mixes "
                "encodings. Save it again as “CSV UTF-8 (逗号分隔)(*.csv)”."
            ).format(garbled=joined[:40]),
        )


def _looks_like_header(text: str) -> bool:
    return sum(1 for s in ("户编号", "姓名", "证件号码", "与户主关系", "行政村") if s in text) >= 2
