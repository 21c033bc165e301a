"""The import itself: reading, checking household by household, writing in one transaction (see the
package docstring)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.core.protect import Sealer, lookup_hash
from bangfu.regions.scope import RegionScope
from bangfu.registry import bulk, conflicts
from bangfu.registry.codelists import code_list, fold
from bangfu.registry.idnumber import normalize_id_text, upgrade_legacy_number
from bangfu.registry.importers.cells import CellError, converter
from bangfu.registry.importers.files import FileInfo, inspect_file, max_bytes
from bangfu.registry.importers.layouts import (
    CAUSES,
    EXIT_STATUS,
    EXIT_STATUS_OF,
    LAYOUTS,
    MEMBER,
    REGION,
    STATUS,
    STATUS_OF_EXIT,
    Col,
)
from bangfu.registry.importers.places import PlaceError, Places
from bangfu.registry.importers.results import (
    CHECK_BATCH,
    HEADER_SEARCH_ROWS,
    STORED_ERRORS,
    ImportProblem,
    ImportRefused,
    ImportResult,
    refuse,
)
from bangfu.registry.importers.sources import (
    CellFlag,
    Cells,
    CsvSource,
    Header,
    XlsxSource,
    _release_memory,
    find_header,
    open_source,
)
from bangfu.registry.models import (
    GuaranteeAssessment,
    Household,
    HouseholdStatus,
    ImportBatch,
    Member,
)
from bangfu.registry.services import (
    CleanHousehold,
    HouseholdIn,
    MemberIn,
    Problem,
    ValidationFailed,
    household_differs,
    household_save,
    household_validate,
    own_figures,
)

# --- the import ---------------------------------------------------------------------------

_HOUSEHOLD_DEFAULTS: dict[str, Any] = {}
for _f in dataclasses.fields(HouseholdIn):
    if _f.default is not dataclasses.MISSING:
        _HOUSEHOLD_DEFAULTS[_f.name] = _f.default
    elif _f.default_factory is not dataclasses.MISSING:
        _HOUSEHOLD_DEFAULTS[_f.name] = _f.default_factory
_MEMBER_DEFAULTS: dict[str, Any] = {
    f.name: (f.default if f.default is not dataclasses.MISSING else "")
    for f in dataclasses.fields(MemberIn)
}
_MEMBER_COPIED = [
    f.name for f in dataclasses.fields(MemberIn) if f.name not in {"id_number", "member_id"}
]
_HOUSEHOLD_COPIED = [
    f.name
    for f in dataclasses.fields(HouseholdIn)
    if f.name
    not in {"household_no", "village_code", "natural_village_code", "members", "bank_account"}
]


def _empty(target: str, member: bool) -> Any:
    if member:
        return _MEMBER_DEFAULTS.get(target, "")
    value = _HOUSEHOLD_DEFAULTS.get(target, "")
    return value() if callable(value) else value


@dataclass
class _Group:
    """The rows of one household as read: row numbers, each row's member values (a tuple in
    member-column order) and household values (a tuple in household-column order, or None when
    the row leaves them all empty)."""

    no: str
    rows: list[int] = field(default_factory=list)
    members: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...] | None] = field(default_factory=list)
    bad: bool = False


@dataclass
class _Update:
    data: HouseholdIn
    clean: CleanHousehold
    rows: list[int]


class HouseholdImport:
    """One import of one file. Use :func:`import_households`."""

    def __init__(
        self,
        info: FileInfo,
        *,
        actor: Any,
        capture: RegionScope,
        layout: str | None,
        dry_run: bool,
        valid_only: bool,
        progress: Callable[[str, int, int], None] | None,
    ) -> None:
        self.info = info
        self.actor = actor
        self.capture = capture
        self.forced = layout
        self.dry_run = dry_run
        self.valid_only = valid_only
        self.progress = progress or (lambda phase, done, total: None)
        self.result = ImportResult(
            file_name=info.name, sha256=info.sha256, dry_run=dry_run, valid_only=valid_only
        )
        self.problems: dict[tuple[int, int], ImportProblem] = {}  # (row, column) → first problem
        self.row_problems: list[tuple[int, int, ImportProblem]] = []
        self.rejected: set[str] = set()
        self.bad_rows: set[int] = set()
        self.batch: ImportBatch | None = None
        self.places = Places(capture)
        self.new: dict[str, tuple[bulk.NewHousehold, list[int]]] = {}
        self.updates: dict[str, _Update] = {}
        self.hashes: dict[str, tuple[list[str], list[int]]] = {}  # household → hashes, rows
        self.rows_by_no: dict[str, list[int]] = {}
        self.orphans: set[int] = set()  # rows that belong to no household
        self.file_ids: dict[str, tuple[str, int]] = {}  # ID number → first household, row
        self.sealer = Sealer()  # the data keys, resolved once for the whole file
        self.checked: dict[str, HouseholdIn] = {}  # this chunk's households, until ID checks
        self.held: dict[str, conflicts.Held] = {}  # ID numbers held by other households
        self.latest_guarantees: dict[int, GuaranteeAssessment] = {}  # this chunk's, by household

    # -- problems

    def problem(
        self, row: int, column: int, value: Any, code: str, message: str, household: str = ""
    ) -> None:
        key = (row, column)
        if key not in self.problems:
            header = self.header.texts.get(column, "") if column >= 0 else ""
            self.problems[key] = ImportProblem(row, header, _display(value), str(code), message)
        self.bad_rows.add(row)
        if household:
            self.rejected.add(household)

    # -- the phases

    def run(self) -> ImportResult:
        started = time.perf_counter()
        source = open_source(self.info)
        try:
            self.header = self._header(source)
            self.result.header_row = self.header.row
            if isinstance(source, XlsxSource):
                self.result.sheet_index = source.sheet_index
            self.result.layout = self.header.layout.name
            self.result.ignored_columns = self.header.ignored
            if not self.dry_run:
                self.batch = ImportBatch.objects.create(
                    file_name=self.info.name[:255],
                    file_sha256=self.info.sha256,
                    layout=self.header.layout.name,
                    actor=self.actor if getattr(self.actor, "pk", None) else None,
                    status="reading",
                )
                self.result.batch_id = self.batch.pk
            source.scan(self.header.row, self._scanned_columns())
            groups = self._read(source)
        finally:
            source.close()
        _release_memory()
        self._check(groups)
        self._finish_problems()
        if self._may_write():
            self._write()
        self.result.seconds = time.perf_counter() - started
        self._record()
        return self.result

    def _header(self, source: CsvSource | XlsxSource) -> Header:
        if isinstance(source, XlsxSource):
            first: Header | None = None
            refusal: ImportRefused | None = None
            for index in range(len(source.sheet_names)):
                source.load(index)
                try:
                    header = find_header(_take(source.rows(), HEADER_SEARCH_ROWS), self.forced)
                except ImportRefused as error:
                    refusal = refusal or error
                    continue
                first = header
                break
            if first is None:
                assert refusal is not None
                raise refusal
            return first
        return find_header(_take(source.rows(), HEADER_SEARCH_ROWS), self.forced)

    def _scanned_columns(self) -> dict[int, str]:
        layout = self.header.layout
        return {index: layout.col(key).kind for key, index in self.header.columns.items()}

    def _read(self, source: CsvSource | XlsxSource) -> dict[str, _Group]:
        """Phase 3: every row once; cells cleaned and converted; rows grouped by 户编号."""
        layout, columns = self.header.layout, self.header.columns
        key_index = columns["household_no"]
        key_convert = converter(layout.col("household_no"), self.header.texts[key_index])
        specs_m: list[tuple[int, Col, Callable[[str, bool], Any]]] = []
        specs_h: list[tuple[int, Col, Callable[[str, bool], Any]]] = []
        for col in layout.columns:
            if col.key in columns and col.key != "household_no":
                index = columns[col.key]
                spec = (index, col, converter(col, self.header.texts[index]))
                (specs_m if col.level == MEMBER else specs_h).append(spec)
        self.specs_m, self.specs_h = specs_m, specs_h
        width = max(columns.values()) + 1
        groups: dict[str, _Group] = {}
        flags, numeric = source.flags, source.numeric
        header_row = self.header.row
        count = 0
        for number, cells in source.rows(header_row):
            if number <= header_row:
                continue
            if len(cells) < width:
                cells = cells + [None] * (width - len(cells))
            if not any(c and not c.isspace() for c in cells):
                if number in flags:  # a row emptied by merged cells still counts
                    self._flags_only(number, flags[number])
                continue
            count += 1
            if count % 20000 == 0:
                self._progress_reading(count)
            row_flags = flags.get(number)
            row_numeric = numeric.get(number)
            bad = False
            if row_flags:
                for index, flag in row_flags.items():
                    if index < len(cells):
                        self.problem(number, index, flag.value, flag.code, flag.message)
                        cells[index] = None
                        bad = True
            raw = cells[key_index]
            household_no = ""
            if raw is not None and not raw.isspace() and raw:
                try:
                    household_no = key_convert(raw, bool(row_numeric and key_index in row_numeric))
                except CellError as error:
                    self.problem(number, key_index, raw, error.code, error.message)
            elif not (row_flags and key_index in row_flags):
                self.problem(
                    number,
                    key_index,
                    "",
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "The 户编号 (household number) is empty, so the row belongs to no "
                        "household."
                    ),
                )
            member: list[Any] = []
            for index, _col, convert in specs_m:
                raw = cells[index]
                if raw is None or not raw or raw.isspace():
                    member.append(None)
                    continue
                try:
                    member.append(convert(raw, bool(row_numeric and index in row_numeric)))
                except CellError as error:
                    self.problem(number, index, raw, error.code, error.message)
                    member.append(None)
                    bad = True
            household: list[Any] = []
            filled = False
            for index, _col, convert in specs_h:
                raw = cells[index]
                if raw is None or not raw or raw.isspace():
                    household.append(None)
                    continue
                try:
                    household.append(convert(raw, False))
                    filled = True
                except CellError as error:
                    self.problem(number, index, raw, error.code, error.message)
                    household.append(None)
                    bad = True
            if not household_no:
                self.orphans.add(number)
                continue
            group = groups.get(household_no)
            if group is None:
                group = groups[household_no] = _Group(household_no)
            group.rows.append(number)
            group.members.append(tuple(member))
            group.households.append(tuple(household) if filled else None)
            if bad:
                group.bad = True
                self.rejected.add(household_no)
        self.result.rows_total = count
        if count == 0:
            raise refuse(
                ErrorCode.IMPORT_FILE_EMPTY,
                _("The file has a header (row {row}) but no data rows.").format(row=header_row),
            )
        self._progress_reading(count)
        return groups

    def _flags_only(self, number: int, row_flags: dict[int, CellFlag]) -> None:
        for index, flag in row_flags.items():
            if index in self.header.texts:
                self.problem(number, index, flag.value, flag.code, flag.message)

    def _progress_reading(self, count: int) -> None:
        self.progress("reading", count, 0)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(rows_done=count)

    def _check(self, groups: dict[str, _Group]) -> None:
        """Phase 4: every household checked; nothing written."""
        total = len(groups)
        names = list(groups)
        done = 0
        for start in range(0, total, CHECK_BATCH):
            chunk = [groups.pop(no) for no in names[start : start + CHECK_BATCH]]
            existing = {
                h.household_no: h
                for h in Household.objects.filter(
                    household_no__in=[g.no for g in chunk]
                ).select_related("village")
            }
            members: dict[int, list[Member]] = {}
            self.latest_guarantees = {}
            if existing:
                for m in Member.objects.filter(household__in=list(existing.values())):
                    members.setdefault(m.household_id, []).append(m)
                for g in GuaranteeAssessment.objects.filter(
                    household__in=list(existing.values())
                ).order_by("household_id", "-year"):
                    self.latest_guarantees.setdefault(g.household_id, g)
            for group in chunk:
                self.rows_by_no[group.no] = group.rows
                found = existing.get(group.no)
                self._check_household(group, found, members.get(found.pk, []) if found else [])
            self._hold_id_conflicts()
            done += len(chunk)
            self.progress("checking", done, total)
        for no in self.rejected:
            self.new.pop(no, None)
            self.updates.pop(no, None)

    def _check_household(
        self, group: _Group, existing: Household | None, existing_members: list[Member]
    ) -> None:
        no, rows = group.no, group.rows
        columns = self.header.columns
        specs_m, specs_h = self.specs_m, self.specs_h
        m_pos = {col.key: i for i, (_index, col, _conv) in enumerate(specs_m)}
        relation_at = m_pos.get("relation")
        heads = [
            i
            for i, values in enumerate(group.members)
            if relation_at is not None and _is_head(values[relation_at])
        ]
        head = heads[0] if heads else 0
        if existing is not None and not self.capture.covers(existing.village.code):
            self.problem(
                rows[0],
                columns["household_no"],
                no,
                ErrorCode.PERMISSION_DENIED,
                _("Household number {no} is already used outside your capture scope.").format(
                    no=no
                ),
                no,
            )
            return
        # household values: the head's row, else the first row that fills the cell
        chosen: list[Any] = []
        source_row: list[int] = []
        for j, (index, _col, _conv) in enumerate(specs_h):
            value, at = None, rows[head]
            head_values = group.households[head]
            if head_values is not None and head_values[j] is not None:
                value = head_values[j]
            else:
                for r, values in zip(rows, group.households, strict=True):
                    if values is not None and values[j] is not None:
                        value, at = values[j], r
                        break
            chosen.append(value)
            source_row.append(at)
            if value is None:
                continue
            for r, values in zip(rows, group.households, strict=True):
                if values is None or values[j] is None or r == at:
                    continue
                if not _same(values[j], value):
                    self.problem(
                        r,
                        index,
                        values[j],
                        ErrorCode.IMPORT_ROWS_DISAGREE,
                        _(
                            "Rows {row} and {other} both belong to household {no} but disagree on "
                            "{header}: row {row} says {value!r}, row {other} says {chosen!r}."
                        ).format(
                            row=r,
                            other=at,
                            no=no,
                            header=self.header.texts[index],
                            value=_display(values[j]),
                            chosen=_display(value),
                        ),
                        no,
                    )
        h_pos = {col.key: j for j, (_index, col, _conv) in enumerate(specs_h)}
        if "size" in h_pos and chosen[h_pos["size"]] is not None:
            size = chosen[h_pos["size"]]
            if size != len(rows):
                j = h_pos["size"]
                self.problem(
                    source_row[j],
                    specs_h[j][0],
                    size,
                    ErrorCode.IMPORT_CELL_INVALID,
                    _(
                        "人数 (household size) is {size}, but the file has {n} rows for household "
                        "{no} (rows {rows})."
                    ).format(size=size, n=len(rows), no=no, rows=_row_list(rows)),
                    no,
                )
        # heads
        if not heads:
            for r in rows:
                self.problem(
                    r,
                    columns["household_no"],
                    no,
                    ErrorCode.HOUSEHOLD_HEAD_COUNT,
                    _(
                        "Row {row} belongs to household {no}, but no row of that household is its "
                        "head (与户主关系 = 户主)."
                    ).format(row=r, no=no),
                    no,
                )
        elif len(heads) > 1:
            for i in heads:
                self.problem(
                    rows[i],
                    specs_m[relation_at][0] if relation_at is not None else -1,
                    group.members[i][relation_at] if relation_at is not None else "",
                    ErrorCode.HOUSEHOLD_HEAD_COUNT,
                    _(
                        "Household {no} has {n} heads (户主), on rows {rows}; it must have one."
                    ).format(no=no, n=len(heads), rows=_row_list([rows[k] for k in heads])),
                    no,
                )
        # ID numbers given twice in the file
        id_at = m_pos.get("id_number")
        if id_at is not None:
            id_index = specs_m[id_at][0]
            for r, values in zip(rows, group.members, strict=True):
                number = _canonical_id(values[id_at])
                if number is None:
                    continue
                first = self.file_ids.setdefault(number, (no, r))
                if first[1] != r:
                    message = _("The same ID number is on rows {a} and {b}.").format(
                        a=first[1], b=r
                    )
                    self.problem(
                        r, id_index, values[id_at], ErrorCode.ID_NUMBER_DUPLICATE, message, no
                    )
                    self.problem(
                        first[1],
                        id_index,
                        values[id_at],
                        ErrorCode.ID_NUMBER_DUPLICATE,
                        message,
                        first[0],
                    )
        # places
        place_failed = False
        village_code = natural_code = ""
        if "village" in h_pos:
            texts = [
                (chosen[h_pos[k]] or "") if k in h_pos else ""
                for k in ("county", "township", "village", "natural_village")
            ]
            try:
                village_code, natural_code = self.places.resolve(*texts)
            except PlaceError as error:
                place_failed = True
                j = h_pos.get(error.key, h_pos["village"])
                self.problem(
                    source_row[j], specs_h[j][0], chosen[j] or "", error.code, error.message, no
                )
        # the registry's own validation
        data = self._household_in(
            group, existing, existing_members, chosen, village_code, natural_code
        )
        try:
            clean = household_validate(data=data, capture=self.capture, regions=self.places.regions)
        except ValidationFailed as failed:
            self._map(failed.problems, group, data, chosen, source_row, place_failed, heads)
            return
        if group.bad or no in self.rejected:
            return
        hashes = bulk.member_hashes(clean, self.sealer)
        self.checked[no] = data
        if existing is not None:
            if household_differs(existing, existing_members, clean, hashes):
                self.updates[no] = _Update(data, clean, rows)
                self.hashes[no] = (hashes, rows)
            else:
                self.result.households_unchanged += 1
            return
        self.new[no] = (bulk.prepare(clean, hashes, self.sealer), rows)
        self.hashes[no] = (hashes, rows)

    def _household_in(
        self,
        group: _Group,
        existing: Household | None,
        existing_members: list[Member],
        chosen: list[Any],
        village_code: str,
        natural_code: str,
    ) -> HouseholdIn:
        """The household as ``HouseholdIn``: the file's values for the columns it has; for a
        household already registered, the registry's values for the columns it lacks."""
        values: dict[str, Any] = {}
        if existing is not None:
            for name in _HOUSEHOLD_COPIED:
                values[name] = getattr(existing, name)
            values["secondary_causes"] = list(existing.secondary_causes)
        for j, (_index, col, _conv) in enumerate(self.specs_h):
            if col.target is None or col.kind == REGION:
                continue
            value = chosen[j]
            if col.kind == EXIT_STATUS:
                if value is None:
                    continue  # the workflow status stays as it is
                current = existing.status if existing is not None else None
                same = current is not None and (
                    EXIT_STATUS_OF.get(current) == value
                    or (value == "exited_no_policy" and current == HouseholdStatus.EXITED)
                )
                values["status"] = current if same else STATUS_OF_EXIT[value]
            elif col.kind == STATUS:
                if value is not None:
                    values["status"] = value
                elif existing is None:
                    values["status"] = HouseholdStatus.REGISTERED
            elif col.kind == CAUSES:
                values["secondary_causes"] = list(value or ())
            else:
                values[col.target] = value if value is not None else _empty(col.target, False)
        if existing is not None:
            self._keep_what_adds(existing, values)
        by_hash = {m.id_number_hash: m for m in existing_members}
        members = []
        for row in group.members:
            kwargs: dict[str, Any] = {}
            number = None
            for i, (_index, col, _conv) in enumerate(self.specs_m):
                target = col.target
                assert target is not None
                kwargs[target] = row[i] if row[i] is not None else _empty(target, True)
                if target == "id_number" and by_hash:
                    number = _canonical_id(row[i])
            if by_hash and number is not None:
                known = by_hash.get(lookup_hash(number))
                if known is not None:
                    base = {name: getattr(known, name) for name in _MEMBER_COPIED}
                    kwargs = {**base, **kwargs}
            members.append(MemberIn(**kwargs))
        return HouseholdIn(
            household_no=group.no,
            village_code=village_code,
            natural_village_code=natural_code,
            members=members,
            **values,
        )

    def _keep_what_adds(self, existing: Household, values: dict[str, Any]) -> None:
        """A reported figure (national columns 22-25) that equals Bangfu's own is not kept:
        it adds nothing, and re-importing Bangfu's own national export must change nothing."""
        latest = self.latest_guarantees.get(existing.pk)
        for name, own in own_figures(existing, latest).items():
            if own is not None and values.get(name) == own:
                values[name] = None

    def _map(
        self,
        problems: list[Problem],
        group: _Group,
        data: HouseholdIn,
        chosen: list[Any],
        source_row: list[int],
        place_failed: bool,
        heads: list[int],
    ) -> None:
        """Put the registry's problems where they are in the file: member problems on the
        member's row, household problems on the row the value came from."""
        no, rows = group.no, group.rows
        columns = self.header.columns
        by_target_m = {col.target: index for index, col, _ in self.specs_m if col.target}
        by_target_h: dict[str, tuple[int, int]] = {}
        for j, (index, col, _conv) in enumerate(self.specs_h):
            if col.target:
                by_target_h.setdefault(col.target, (index, j))
        for key, target in (
            ("village", "village_code"),
            ("natural_village", "natural_village_code"),
        ):
            for j, (index, col, _conv) in enumerate(self.specs_h):
                if col.key == key:
                    by_target_h[target] = (index, j)
        for p in problems:
            if p.code == ErrorCode.HOUSEHOLD_HEAD_COUNT:
                self.rejected.add(no)  # reported per row above
                continue
            if place_failed and p.field in {"village_code", "natural_village_code"}:
                self.rejected.add(no)
                continue
            if p.member is not None:
                row = rows[p.member]
                # birth date or sex kept from the registry: the ID number decides them
                at = by_target_m.get(p.field)
                index = (
                    at if at is not None else by_target_m.get("id_number", columns["household_no"])
                )
                value = getattr(data.members[p.member], p.field, "")
                self.problem(row, index, value, p.code, p.message, no)
                continue
            spot = by_target_h.get(p.field)
            if spot is None:
                self.problem(
                    rows[heads[0] if heads else 0],
                    columns["household_no"],
                    no,
                    p.code,
                    p.message,
                    no,
                )
                continue
            index, j = spot
            self.problem(
                source_row[j],
                index,
                chosen[j] if chosen[j] is not None else "",
                p.code,
                p.message,
                no,
            )

    def _hold_id_conflicts(self) -> None:
        """Households of this chunk with an ID number that another household holds already
        are held back for review (``registry.conflicts``), not refused: the rest imports."""
        owner: dict[str, tuple[str, int, int]] = {}  # hash → household, row, member index
        for no in self.checked:
            if no in self.rejected or no not in self.hashes:
                continue
            hashes, rows = self.hashes[no]
            for index, (key, row) in enumerate(zip(hashes, rows, strict=True)):
                owner[key] = (no, row, index)
        clashes: dict[str, list[conflicts.Clash]] = {}
        for key, (other, masked) in bulk.ids_taken(owner).items():
            no, _row, index = owner[key]
            if other != no:
                clashes.setdefault(no, []).append(conflicts.Clash(index, masked, key, other))
        for no, found in clashes.items():
            self._hold(no, self.checked[no], found)
        self.checked.clear()

    def _hold(self, no: str, data: HouseholdIn, clashes: list[conflicts.Clash]) -> None:
        _hashes, rows = self.hashes.pop(no)
        self.new.pop(no, None)
        self.updates.pop(no, None)
        village = self.places.regions[data.village_code]  # validated: it is there
        head = next(m.name for m in data.members if _is_head(m.relation))
        clashes.sort(key=lambda c: c.member)
        self.held[no] = conflicts.Held(data, village, str(head), rows, clashes)
        id_index = self.header.columns["id_number"]
        others = "、".join(sorted({f"{c.masked} → {c.other}" for c in clashes}))
        self.result.queued.append(
            ImportProblem(
                rows[0],
                self.header.texts[id_index],
                ", ".join(c.masked for c in clashes),
                ErrorCode.ID_NUMBER_DUPLICATE,
                _(
                    "Household {no} (rows {rows}) is held for review, not imported: its ID "
                    "numbers already belong to members of other households ({others}). Someone "
                    "who may edit both households decides on the ID conflicts page "
                    "(/households/conflicts/)."
                ).format(no=no, rows=_row_list(rows), others=others),
            )
        )

    def _finish_problems(self) -> None:
        problems = sorted(self.problems.items(), key=lambda item: item[0])  # file-level first
        self.result.problems = [p for _, p in problems]
        self.result.households_rejected = len(self.rejected)
        self.result.households_queued = len(self.held)
        rows = set(self.bad_rows) | self.orphans
        for no in self.rejected:
            rows.update(self.rows_by_no.get(no, ()))
        self.result.rows_rejected = len(rows)
        self.result.rejected_rows = sorted(rows)

    def _may_write(self) -> bool:
        if self.dry_run:
            return False
        if self.result.problems and not self.valid_only:
            return False
        return bool(self.new or self.updates or self.held)

    def _write(self) -> None:
        """Phase 5: one transaction; a process killed here leaves the database as it was."""
        reason = f"import:{self.batch.pk if self.batch else '-'} {self.info.name}"[:500]
        news = [item for item, _ in self.new.values()]
        total = len(news) + len(self.updates)
        if self.batch is not None:
            ImportBatch.objects.filter(pk=self.batch.pk).update(status="writing")
        self.progress("writing", 0, total)
        try:
            with transaction.atomic():
                bulk.create_households(
                    news,
                    actor=self.actor,
                    reason=reason,
                    progress=lambda done: self.progress("writing", done, total),
                )
                done = len(news)
                for no, update in self.updates.items():
                    try:
                        with transaction.atomic():
                            _, outcome = household_save(
                                actor=self.actor,
                                capture=self.capture,
                                data=update.data,
                                clean=update.clean,
                                reason=reason,
                            )
                    except BangfuError as error:
                        self._write_failed(no, update.rows, error)
                        if not self.valid_only:
                            raise
                        continue
                    if outcome == "updated":
                        self.result.households_updated += 1
                    else:
                        self.result.households_unchanged += 1
                    done += 1
                    self.progress("writing", done, total)
                self.result.households_created = len(news)
                conflicts.queue_households(
                    list(self.held.values()), batch=self.batch, actor=self.actor, sealer=self.sealer
                )
        except (BangfuError, IntegrityError) as error:
            self.result.households_created = self.result.households_updated = 0
            self.result.households_unchanged = self.result.households_queued = 0
            if isinstance(error, IntegrityError):
                self.problems[(0, -1)] = ImportProblem(
                    None,
                    "",
                    "",
                    ErrorCode.IMPORT_REJECTED,
                    _(
                        "The registry changed while the file was being imported (another user "
                        "saved one of these households or ID numbers); nothing was written. "
                        "Import the file again."
                    ),
                )
            self._finish_problems()

    def _write_failed(self, no: str, rows: list[int], error: BangfuError) -> None:
        problems = getattr(error, "problems", None) or [
            Problem(error.field or "household_no", str(error.code), error.message)
        ]
        for p in problems:
            row = rows[p.member] if p.member is not None else rows[0]
            column = self.header.columns.get(
                "id_number" if p.field == "id_number" else "household_no", 0
            )
            self.problem(row, column, "", p.code, p.message, no)
        self._finish_problems()

    def _record(self) -> None:
        if self.batch is None:
            return
        r = self.result
        if r.problems:
            status = "partial" if r.written else "rejected"
        elif r.households_queued:
            status = "review"  # written, but some households wait for an ID-conflict decision
        else:
            status = "succeeded"
        ImportBatch.objects.filter(pk=self.batch.pk).update(
            status=status,
            finished_at=timezone.now(),
            rows_total=r.rows_total,
            rows_done=r.rows_total,
            households_created=r.households_created,
            households_updated=r.households_updated,
            households_unchanged=r.households_unchanged,
            households_rejected=r.households_rejected,
            households_queued=r.households_queued,
            errors=_stored_errors(r.problems),
        )


def _stored_errors(problems: list[ImportProblem]) -> list[dict[str, Any]]:
    stored = [p.as_dict() for p in problems[:STORED_ERRORS]]
    if len(problems) > STORED_ERRORS:
        stored.append({"code": "truncated", "count": len(problems)})
    return stored


def _take(rows: Iterator[tuple[int, Cells]], n: int) -> list[tuple[int, Cells]]:
    """The first ``n`` non-empty rows (within the first 50)."""
    taken = []
    try:
        for item in rows:
            if any(c and str(c).strip() for c in item[1]):
                taken.append(item)
            if len(taken) >= n or item[0] > 50:
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return taken


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return False


def _row_list(rows: Sequence[int]) -> str:
    text = ", ".join(str(r) for r in rows[:10])
    return text + (", …" if len(rows) > 10 else "")


_HEAD_CACHE: dict[str, bool] = {}


def _is_head(value: Any) -> bool:
    if not value:
        return False
    hit = _HEAD_CACHE.get(value)
    if hit is None:
        try:
            hit = code_list("relation").resolve(value, field="relation") == "head"
        except BangfuError:
            hit = False
        if len(_HEAD_CACHE) < 1000:
            _HEAD_CACHE[value] = hit
    return hit


def _canonical_id(value: Any) -> str | None:
    """The 18-character form of an ID number cell, if it has one (no check digit test)."""
    if value is None or isinstance(value, float):
        return None
    try:
        text = normalize_id_text(value)
    except BangfuError:
        return None
    if len(text) == 15 and text.isdigit():
        return upgrade_legacy_number(text)
    return text if len(text) == 18 else None


# --- entry point --------------------------------------------------------------------------


def import_households(
    path: str | os.PathLike[str],
    *,
    actor: Any = None,
    capture: RegionScope | None = None,
    layout: str | None = None,
    dry_run: bool = False,
    valid_only: bool = False,
    file_name: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportResult:
    """Import a household file (.xlsx or .csv) as ``actor``, within ``capture`` (by default the
    actor's capture scope). ``layout`` is "national" or "bangfu" (detected from the header when
    omitted). All or nothing unless ``valid_only``; ``dry_run`` checks everything and writes
    nothing. Never raises for a bad file: every problem is in the result."""
    path = Path(path)
    name = file_name or path.name
    if capture is None:
        capture = scope_for(actor, "capture")
    if layout is not None and layout not in LAYOUTS:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR,
            _("Unknown layout {layout!r}; use national or bangfu.").format(layout=layout),
        )
    started = time.perf_counter()
    job: HouseholdImport | None = None
    try:
        info = inspect_file(path, name)
        job = HouseholdImport(
            info,
            actor=actor,
            capture=capture,
            layout=layout,
            dry_run=dry_run,
            valid_only=valid_only,
            progress=progress,
        )
        return job.run()
    except ImportRefused as refusal:
        result = ImportResult(file_name=name, dry_run=dry_run, valid_only=valid_only, refused=True)
        result.problems = [ImportProblem(None, "", "", str(refusal.code), refusal.message)]
        result.seconds = time.perf_counter() - started
        if not dry_run:
            _record_refusal(result, path, job.batch if job is not None else None, layout)
        return result


def _record_refusal(
    result: ImportResult, path: Path, batch: ImportBatch | None, layout: str | None
) -> None:
    values = {
        "status": "failed",
        "finished_at": timezone.now(),
        "errors": _stored_errors(result.problems),
        "rows_total": 0,
    }
    if batch is not None:
        ImportBatch.objects.filter(pk=batch.pk).update(**values)
        result.batch_id = batch.pk
        return
    digest = ""
    with contextlib.suppress(OSError):
        if path.stat().st_size <= max_bytes():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result.sha256 = digest
    created = ImportBatch.objects.create(
        file_name=result.file_name[:255], file_sha256=digest, layout=layout or "", **values
    )
    result.batch_id = created.pk
