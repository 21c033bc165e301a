"""Resolving county, township, village and natural village — names or codes — in the region tree,
within the capture scope."""

from __future__ import annotations

from django.utils.translation import gettext as _

from bangfu.core.errors import ErrorCode
from bangfu.regions.codes import Level
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.codelists import fold

# --- places -------------------------------------------------------------------------------


class PlaceError(Exception):
    def __init__(self, key: str, code: str, message: str) -> None:
        super().__init__(message)
        self.key, self.code, self.message = key, code, message


class Places:
    """Resolves (county, township, village, natural village) — names or codes — to regions:
    the county by name among the counties touching the capture scope (or anywhere, if that
    finds none), the township by name within the county, the village within the township.
    Each distinct combination is resolved once; ``regions`` collects what
    ``household_validate`` needs, so that validation makes no query per household."""

    def __init__(self, capture: RegionScope) -> None:
        self.capture = capture
        self.regions: dict[str, Region] = {}
        self._cache: dict[tuple[str, str, str, str], tuple[str, str] | PlaceError] = {}
        self._counties: dict[str, list[Region]] | None = None
        self._children: dict[int, dict[str, list[Region]]] = {}
        self._by_code: dict[str, Region | None] = {}

    def resolve(self, county: str, township: str, village: str, natural: str) -> tuple[str, str]:
        key = (county, township, village, natural)
        if key not in self._cache:
            try:
                self._cache[key] = self._resolve(county, township, village, natural)
            except PlaceError as error:
                self._cache[key] = error
        found = self._cache[key]
        if isinstance(found, PlaceError):
            raise found
        return found

    def _resolve(self, county: str, township: str, village: str, natural: str) -> tuple[str, str]:
        if not village:
            raise PlaceError("village", ErrorCode.REGION_NOT_FOUND, _("The village is missing."))
        if _is_code(village):
            place = self._code(village, Level.VILLAGE, "village")
            town = self._parent(place)
            if township:
                self._check_same(town, township, "township")
            if county:
                self._check_same(self._parent(town) if town else None, county, "county")
        else:
            if _is_code(township):
                town = self._code(township, Level.TOWNSHIP, "township")
                if county:
                    self._check_same(self._parent(town), county, "county")
            else:
                if not township:
                    raise PlaceError(
                        "township",
                        ErrorCode.REGION_NOT_FOUND,
                        _("The township is missing; it is needed to find the village by name."),
                    )
                town = self._child(self._county(county), township, Level.TOWNSHIP, "township")
            place = self._child(town, village, Level.VILLAGE, "village")
        self.regions[place.code] = place
        natural_code = ""
        if natural:
            if _is_code(natural, 15):
                small = self._code(natural, Level.NATURAL_VILLAGE, "natural_village")
            else:
                small = self._child(place, natural, Level.NATURAL_VILLAGE, "natural_village")
            self.regions[small.code] = small
            natural_code = small.code
        return place.code, natural_code

    def _county(self, text: str) -> Region:
        if not text:
            raise PlaceError(
                "county",
                ErrorCode.REGION_NOT_FOUND,
                _("The county is missing; it is needed to find the township by name."),
            )
        if _is_code(text):
            return self._code(text, Level.COUNTY, "county")
        if self._counties is None:
            self._counties = {}
            for region in Region.objects.filter(level=Level.COUNTY):
                self._counties.setdefault(fold(region.name_zh), []).append(region)
        found = self._counties.get(fold(text), [])
        near = [c for c in found if self._touches_scope(c)]
        candidates = near or found
        if not candidates:
            raise PlaceError(
                "county",
                ErrorCode.REGION_NOT_FOUND,
                _("No county is named {name!r}.").format(name=text),
            )
        if len(candidates) > 1:
            raise PlaceError(
                "county",
                ErrorCode.IMPORT_CELL_INVALID,
                _(
                    "{count} counties are named {name!r} ({codes}); write the 12-digit code "
                    "instead."
                ).format(
                    count=len(candidates),
                    name=text,
                    codes=", ".join(c.code for c in candidates),
                ),
            )
        return candidates[0]

    def _touches_scope(self, county: Region) -> bool:
        if self.capture.covers(county.code):
            return True
        return any(root.startswith(county.prefix) for root in self.capture.roots)

    def _child(self, parent: Region, text: str, level: Level, key: str) -> Region:
        if parent.pk not in self._children:
            children: dict[str, list[Region]] = {}
            for region in Region.objects.filter(parent=parent):
                children.setdefault(fold(region.name_zh), []).append(region)
            self._children[parent.pk] = children
        found = [r for r in self._children[parent.pk].get(fold(text), []) if r.level == level]
        if len(found) == 1:
            return found[0]
        what = _level_name(level)
        if not found:
            names = sorted(
                r.name_zh
                for rs in self._children[parent.pk].values()
                for r in rs
                if r.level == level
            )
            listing = "、".join(names[:30]) + ("…" if len(names) > 30 else "")
            raise PlaceError(
                key,
                ErrorCode.REGION_NOT_FOUND,
                _("{parent} has no {what} named {name!r}; it has: {names}.").format(
                    parent=parent.name_zh, what=what, name=text, names=listing or "—"
                ),
            )
        raise PlaceError(
            key,
            ErrorCode.IMPORT_CELL_INVALID,
            _("{parent} has {count} {what}s named {name!r}; write the code instead.").format(
                parent=parent.name_zh, count=len(found), what=what, name=text
            ),
        )

    def _code(self, code: str, level: Level, key: str) -> Region:
        if code not in self._by_code:
            self._by_code[code] = Region.objects.filter(code=code).first()
        region = self._by_code[code]
        if region is None or region.level != level:
            raise PlaceError(
                key,
                ErrorCode.REGION_NOT_FOUND,
                _("No {what} has the code {code}.").format(what=_level_name(level), code=code),
            )
        return region

    def _parent(self, region: Region | None) -> Region | None:
        if region is None or region.parent_id is None:
            return None
        return self._code_by_pk(region.parent_id)

    def _code_by_pk(self, pk: int) -> Region | None:
        for region in self._by_code.values():
            if region is not None and region.pk == pk:
                return region
        region = Region.objects.filter(pk=pk).first()
        if region is not None:
            self._by_code[region.code] = region
        return region

    def _check_same(self, region: Region | None, text: str, key: str) -> None:
        if region is None:
            return
        if text == region.code or fold(text) == fold(region.name_zh):
            return
        raise PlaceError(
            key,
            ErrorCode.REGION_PARENT_INVALID,
            _("The {what} is {given!r}, but the place below it belongs to {name} ({code}).").format(
                what=_level_name(Level(region.level)),
                given=text,
                name=region.name_zh,
                code=region.code,
            ),
        )


def _is_code(text: str, length: int = 12) -> bool:
    return len(text) == length and text.isdigit()


def _level_name(level: Level) -> str:
    return {
        Level.COUNTY: _("county"),
        Level.TOWNSHIP: _("township"),
        Level.VILLAGE: _("village"),
        Level.NATURAL_VILLAGE: _("natural village"),
    }.get(level, _("region"))
