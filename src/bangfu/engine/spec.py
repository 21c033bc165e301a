"""The measure spec: a TOML file that says what ``bangfu measure`` computes, read into types.

Sections (each optional, but ``[income]`` or ``[mpi]`` must be there)::

    [income]
    column = "income_pc"          # per-capita income of the row
    poverty_lines = [125.0]       # one or more lines, each > 0 (poor is strict: y < z)
    fgt_alphas = [0, 1, 2]        # FGT parameters, each ≥ 0 (default [0, 1, 2])

    [population]
    size = "hh_size"              # persons per row (household size); person-level figures
    weight = "weight"             # sampling weight per row; persons = weight × size

    [mpi]                         # read by ``MpiSpec.from_mapping``
    k = "1/3"                     # exact fraction, decimal string or integer
    missing = "drop"              # or "reweight"
    [[mpi.indicators]]
    column = "d_school"           # binary: 1 = deprived
    dimension = "education"
    weight = "1/6"
    [[mpi.indicators]]
    column = "years_school"       # achievement: deprived iff value < cutoff
    cutoff = 6
    dimension = "education"
    weight = "1/6"

Anything else — an unknown section or key, a value of the wrong type — is refused with a
``SpecError`` whose message names the file, the section and the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bangfu.engine.measures.mpi import MpiSpec, MpiSpecError

__all__ = ["IncomeSpec", "MeasureSpec", "PopulationSpec", "SpecError", "load_spec", "parse_spec"]

DEFAULT_ALPHAS: tuple[int, ...] = (0, 1, 2)

_SECTIONS = ("income", "population", "mpi")
_INCOME_KEYS = ("column", "poverty_lines", "fgt_alphas")
_POPULATION_KEYS = ("size", "weight")


class SpecError(ValueError):
    """The spec is invalid; the message names the file, the section and the key."""


@dataclass(frozen=True)
class IncomeSpec:
    """``[income]``: the income column, the poverty lines and the FGT parameters.

    Lines are kept as Decimals read from the TOML text (``125.5`` → ``Decimal("125.5")``), so a
    Decimal income column is compared with them exactly."""

    column: str
    lines: tuple[Decimal, ...]
    alphas: tuple[int | float, ...] = DEFAULT_ALPHAS


@dataclass(frozen=True)
class PopulationSpec:
    """``[population]``: household size and sampling weight columns (either may be absent)."""

    size: str | None = None
    weight: str | None = None


@dataclass(frozen=True)
class MeasureSpec:
    """A whole spec. ``income`` and ``mpi`` are None when their section is absent."""

    income: IncomeSpec | None
    population: PopulationSpec
    mpi: MpiSpec | None

    def columns(self) -> dict[str, str]:
        """Every column the spec names, with where the spec names it (for error messages)."""
        out: dict[str, str] = {}
        if self.income is not None:
            out[self.income.column] = "[income] column"
        if self.population.size is not None:
            out[self.population.size] = "[population] size"
        if self.population.weight is not None:
            out[self.population.weight] = "[population] weight"
        if self.mpi is not None:
            for n, ind in enumerate(self.mpi.indicators, start=1):
                out.setdefault(ind.column, f"[mpi] indicator {n}")
        return out


def load_spec(path: str | Path) -> MeasureSpec:
    """Read and check the spec file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: spec file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the spec file ({exc})") from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, *, source: str = "spec") -> MeasureSpec:
    """The spec from TOML text; ``source`` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: TOML syntax error: {exc}") from None

    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        names = ", ".join(f"[{k}]" if isinstance(data[k], dict) else k for k in unknown)
        raise SpecError(
            f"{source}: unknown section(s) or key(s) {names}; "
            f"the sections are {', '.join(f'[{s}]' for s in _SECTIONS)}"
        )
    for section in _SECTIONS:
        if section in data and not isinstance(data[section], dict):
            raise SpecError(f"{source}: {section} must be a section [{section}], not a value")
    if "income" not in data and "mpi" not in data:
        raise SpecError(f"{source}: nothing to measure: give an [income] or an [mpi] section")

    income = _income(data["income"], source) if "income" in data else None
    population = _population(data.get("population", {}), source)
    mpi: MpiSpec | None = None
    if "mpi" in data:
        try:
            mpi = MpiSpec.from_mapping(data["mpi"])
        except MpiSpecError as exc:
            raise SpecError(f"{source}: [mpi] {exc}") from None
    return MeasureSpec(income=income, population=population, mpi=mpi)


def _check_keys(section: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(unknown)}; the keys are {', '.join(known)}"
        )


def _column(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{where}: a column name (a non-empty string) is required, got {value!r}")
    return value


def _number(value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {value!r} is not a number")
    if not math.isfinite(value):
        raise SpecError(f"{where}: {value!r} is not a finite number")
    return value


def _income(section: dict[str, Any], source: str) -> IncomeSpec:
    where = f"{source}: [income]"
    _check_keys(section, _INCOME_KEYS, where)
    if "column" not in section:
        raise SpecError(f"{where} column is required")
    column = _column(section["column"], f"{where} column")
    if "poverty_lines" not in section:
        raise SpecError(f"{where} poverty_lines is required (a list of lines, e.g. [125.0])")
    raw_lines = section["poverty_lines"]
    if not isinstance(raw_lines, list) or not raw_lines:
        raise SpecError(f"{where} poverty_lines must be a non-empty list, got {raw_lines!r}")
    lines: list[Decimal] = []
    for value in raw_lines:
        z = _number(value, f"{where} poverty_lines")
        if z <= 0:
            raise SpecError(f"{where} poverty_lines: {value!r} must be > 0")
        line = Decimal(repr(z))
        if line in lines:
            raise SpecError(f"{where} poverty_lines: {value!r} appears twice")
        lines.append(line)
    raw_alphas = section.get("fgt_alphas", list(DEFAULT_ALPHAS))
    if not isinstance(raw_alphas, list) or not raw_alphas:
        raise SpecError(f"{where} fgt_alphas must be a non-empty list, got {raw_alphas!r}")
    alphas: list[int | float] = []
    for value in raw_alphas:
        a = _number(value, f"{where} fgt_alphas")
        if a < 0:
            raise SpecError(f"{where} fgt_alphas: {value!r} must be ≥ 0")
        if any(float(a) == float(b) for b in alphas):
            raise SpecError(f"{where} fgt_alphas: {value!r} appears twice")
        alphas.append(a)
    return IncomeSpec(column=column, lines=tuple(lines), alphas=tuple(alphas))


def _population(section: dict[str, Any], source: str) -> PopulationSpec:
    where = f"{source}: [population]"
    _check_keys(section, _POPULATION_KEYS, where)
    size = _column(section["size"], f"{where} size") if "size" in section else None
    weight = _column(section["weight"], f"{where} weight") if "weight" in section else None
    if size is not None and size == weight:
        raise SpecError(f"{where}: size and weight name the same column {size!r}")
    return PopulationSpec(size=size, weight=weight)
