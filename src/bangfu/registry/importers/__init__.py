"""Importing households (建档立卡) from spreadsheets: the national 26-column layout and Bangfu's
own template, as .xlsx or .csv (UTF-8 with or without BOM, or GB18030).

One row per person. Rows sharing a 户编号 form a household; household fields come from the
head's row (与户主关系 = 户主) and any other row that repeats them must agree. Places are given
by name (county, township, village, natural village) or by 12-digit code and resolved in the
region tree.

How an import runs:

1. **The file**: size, emptiness, what it really is (magic bytes, not the extension), its
   encoding, its SHA-256. A file that fails here is refused as a whole (``ImportRefused``).
2. **The header**: which layout, which column is which; missing columns are refused.
3. **Reading** (one pass): every cell is cleaned up (stray and full-width spaces, full-width
   digits) and converted; what cannot be is reported with its row, column, value, reason and
   code. Formulas and merged cells in a workbook are reported, never evaluated or guessed.
4. **Checking**, household by household: rows that disagree, heads, places, ID numbers
   repeated in the file or already taken, scope; then ``services.household_validate`` — the
   registry's one definition of a valid household, shared with the forms and the API — whose
   problems are mapped back to the file's rows and columns. Nothing is written yet.
5. **Writing**, in one transaction, only if every row passed (or, with ``valid_only``, the
   households that passed): new households through ``bulk`` (the same rows and history as
   ``household_save``, a thousand at a time), changed ones through ``household_save``;
   unchanged ones are left alone, so importing the same file twice changes nothing.

Each import is recorded in ``ImportBatch`` (except dry runs, which write nothing at all).

The package, by step: ``files`` (1), ``sources`` (reading rows; 2, the header), ``layouts``
(the columns of both layouts), ``cells`` (3, one cell), ``places`` (the region tree),
``household_import`` (3-5, the run), ``report`` (the .xlsx report), ``results`` (what comes
back). Callers import from the package itself.
"""

from __future__ import annotations

from bangfu.registry.importers.cells import CellError, convert_date, converter
from bangfu.registry.importers.files import FileInfo, inspect_file, max_bytes
from bangfu.registry.importers.household_import import HouseholdImport, import_households
from bangfu.registry.importers.layouts import (
    BANGFU,
    BOOL,
    CAUSES,
    CODE,
    DATE,
    EXIT_STATUS,
    EXIT_STATUS_OF,
    ID,
    IDENT,
    INT,
    KEY,
    LAYOUTS,
    MONEY,
    NAME,
    NATIONAL,
    PHONE,
    REGION,
    SEX,
    STATUS,
    STATUS_LABELS_ZH,
    STATUS_OF_EXIT,
    TEXT,
    Col,
    Layout,
    header_key,
)
from bangfu.registry.importers.report import write_report
from bangfu.registry.importers.results import (
    STORED_ERRORS,
    ImportProblem,
    ImportRefused,
    ImportResult,
)
from bangfu.registry.importers.sources import open_source

__all__ = [
    "BANGFU",
    "BOOL",
    "CAUSES",
    "CODE",
    "DATE",
    "EXIT_STATUS",
    "EXIT_STATUS_OF",
    "ID",
    "IDENT",
    "INT",
    "KEY",
    "LAYOUTS",
    "MONEY",
    "NAME",
    "NATIONAL",
    "PHONE",
    "REGION",
    "SEX",
    "STATUS",
    "STATUS_LABELS_ZH",
    "STATUS_OF_EXIT",
    "STORED_ERRORS",
    "TEXT",
    "CellError",
    "Col",
    "FileInfo",
    "HouseholdImport",
    "ImportProblem",
    "ImportRefused",
    "ImportResult",
    "Layout",
    "convert_date",
    "converter",
    "header_key",
    "import_households",
    "inspect_file",
    "max_bytes",
    "open_source",
    "write_report",
]
