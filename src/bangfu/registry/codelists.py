"""Versioned official code lists (data/codelists.csv, loaded by migration): resolving what a
spreadsheet cell or a form says into a code, and a code back into its label."""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from bangfu.core.errors import BangfuError, ErrorCode
from bangfu.registry.models import CodeItem


@dataclass(frozen=True)
class Item:
    code: str
    label_zh: str
    label_en: str


def shipped_items() -> list[dict[str, object]]:
    text = resources.files("bangfu.registry").joinpath("data", "codelists.csv").read_text("utf-8")
    return [
        {
            "list_name": row["list"],
            "version": row["version"],
            "code": row["code"],
            "label_zh": row["label_zh"],
            "label_en": row["label_en"],
            "aliases": [a for a in row["aliases"].split("|") if a],
            "sort": int(row["sort"] or 0),
            "source": row["source"][:300],
        }
        for row in csv.DictReader(text.splitlines())
    ]


def fold(text: str) -> str:
    """Spreadsheet spellings that mean the same: full-width forms, spaces, brackets."""
    text = unicodedata.normalize("NFKC", text).strip()
    return "".join(text.split()).replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class CodeList:
    name: str
    items: tuple[Item, ...]
    lookup: dict[str, str]

    def resolve(self, value: str, *, field: str) -> str:
        """The code for a label, alias or code; empty stays empty; anything else is refused
        with the allowed labels listed."""
        if not value or not value.strip():
            return ""
        code = self.lookup.get(value)  # the exact spelling, as most cells are
        if code is None:
            code = self.lookup.get(fold(value))
        if code is None:
            allowed = "、".join(i.label_zh for i in self.items[:30])
            raise BangfuError(
                ErrorCode.CODE_UNKNOWN,
                _("{value!r} is not in the code list {name}; allowed: {allowed}.").format(
                    value=value, name=self.name, allowed=allowed
                ),
                field=field,
            )
        return code

    def label(self, code: str) -> str:
        for item in self.items:
            if item.code == code:
                language = get_language() or "zh-hans"
                return (
                    item.label_en if language.startswith("en") and item.label_en else item.label_zh
                )
        return code

    def choices(self) -> list[tuple[str, str]]:
        return [(i.code, self.label(i.code)) for i in self.items]


@lru_cache(maxsize=64)
def code_list(name: str) -> CodeList:
    """The named list across its versions: a spelling from any version resolves (old
    spreadsheets keep importing), the newest version's meaning winning where two differ, and
    every code ever issued keeps a label."""
    rows = list(CodeItem.objects.filter(list_name=name).order_by("-version", "sort", "code"))
    if not rows:
        raise LookupError(f"No code list named {name!r} is loaded.")
    lookup: dict[str, str] = {}
    items: dict[str, Item] = {}
    for row in rows:  # newest version first
        items.setdefault(row.code, Item(row.code, row.label_zh, row.label_en))
        for spelling in [row.code, row.label_zh, *row.aliases]:
            lookup.setdefault(fold(spelling), row.code)
            lookup.setdefault(spelling, row.code)
    newest = rows[0].version
    current = [
        i for i in items.values() if any(r.code == i.code and r.version == newest for r in rows)
    ]
    older = [i for i in items.values() if i not in current]
    return CodeList(name=name, items=tuple(current + older), lookup=lookup)


def clear_cache() -> None:
    code_list.cache_clear()
