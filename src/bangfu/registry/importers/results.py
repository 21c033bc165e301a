"""What an import gives back: its result, its problems, and the refusal of a whole file."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from bangfu.core.errors import BangfuError, ErrorCode

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common
STORED_ERRORS = 1000  # problems kept in ImportBatch.errors (the report file has them all)
CHECK_BATCH = 500  # households looked up in the database at once


# --- what comes back ----------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One bad cell (or row, or the whole file when ``row`` is None)."""

    row: int | None  # as Excel shows it: the header is usually row 1
    column: str  # the header as the file spells it; "" for a whole row or the file
    value: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ImportRefused(BangfuError):
    """The file as a whole cannot be imported (empty, too large, not what it claims, unreadable
    header); no row was looked at."""


@dataclass
class ImportResult:
    file_name: str
    sha256: str = ""
    layout: str = ""
    dry_run: bool = False
    valid_only: bool = False
    rows_total: int = 0
    rows_rejected: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    households_rejected: int = 0
    households_queued: int = 0  # held for review: an ID number belongs to another household
    problems: list[ImportProblem] = field(default_factory=list)
    queued: list[ImportProblem] = field(default_factory=list)  # one per held household
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0
    batch_id: int | None = None
    refused: bool = False  # the file as a whole was refused
    rejected_rows: list[int] = field(default_factory=list)  # every row not imported
    sheet_index: int = 0
    header_row: int = 0

    @property
    def ok(self) -> bool:
        """Every row was accepted (none has a problem, none is held for review)."""
        return not self.problems and not self.queued

    @property
    def written(self) -> bool:
        return bool(self.households_created or self.households_updated)

    @property
    def rows_per_second(self) -> float:
        return self.rows_total / self.seconds if self.seconds else 0.0


def refuse(code: ErrorCode, message: str) -> ImportRefused:
    return ImportRefused(code, message)
