"""Column names Spark cannot take as they are, renamed for the length of a computation.

Spark's ``col("a.b")`` reads the dot as "field b of struct a" (and a backtick as quoting), and
Narwhals' PySpark backend refers to every column through ``col``: a column called
``income.pc`` cannot even be selected or renamed through Narwhals. So on a Spark-like frame
whose names hold a dot or a backtick, the measures rename those columns by *position* (native
``toDF``, which parses nothing) to ``__bf_c{i}``, compute, and rename the results back the
same way. On Polars nothing is renamed: the measures see the caller's frame unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import narwhals as nw

FrameT = TypeVar("FrameT", bound="nw.DataFrame[Any] | nw.LazyFrame[Any]")

_PREFIX = "__bf_c"


def unsafe(name: str) -> bool:
    """Whether Spark's ``col`` would misread the name."""
    return "." in name or "`" in name


def free_prefix(names: Iterable[str], base: str) -> str:
    """``base``, lengthened until no name starts with it (so new names never clash)."""
    names = list(names)
    prefix = base
    while any(n.startswith(prefix) for n in names):
        prefix = "_" + prefix
    return prefix


def rename(frame: FrameT, mapping: Mapping[str, str]) -> FrameT:
    """``frame`` with the columns named in ``mapping`` renamed (others kept), by position."""
    names = list(frame.collect_schema().names())
    if not any(n in mapping for n in names):
        return frame
    if not frame.implementation.is_spark_like():
        return cast(FrameT, frame.rename({n: mapping[n] for n in names if n in mapping}))
    native = frame.to_native().toDF(*(mapping.get(n, n) for n in names))
    return cast(FrameT, nw.from_native(native))


@dataclass(frozen=True)
class Renamed:
    """The names a computation uses for the caller's columns (original → used)."""

    used: dict[str, str] = field(default_factory=dict)

    def __call__(self, name: str) -> str:
        return self.used.get(name, name)

    def each(self, names: Sequence[str]) -> list[str]:
        return [self(n) for n in names]

    def optional(self, name: str | None) -> str | None:
        return None if name is None else self(name)

    def restore(self, frame: FrameT, extra: Mapping[str, str] | None = None) -> FrameT:
        """The result with the caller's names back (``extra``: derived names, used → caller's)."""
        back = {u: o for o, u in self.used.items()} | dict(extra or {})
        return rename(frame, back) if self.used else frame


def spark_safe(frame: FrameT, preset: Mapping[str, str] | None = None) -> tuple[FrameT, Renamed]:
    """``frame`` with every Spark-unsafe column name replaced (by ``preset`` where it names the
    column), and the renaming: empty when nothing needed it, always on Polars."""
    if not frame.implementation.is_spark_like():
        return frame, Renamed()
    names = list(frame.collect_schema().names())
    used = {n: u for n, u in (preset or {}).items() if n in names}
    prefix = free_prefix(names, _PREFIX)
    used |= {n: f"{prefix}{i}" for i, n in enumerate(names) if unsafe(n) and n not in used}
    if not used:
        return frame, Renamed()
    return rename(frame, used), Renamed(used)
