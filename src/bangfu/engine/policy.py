"""Policy as data: typed, versioned parameters per year and province, each with its source.

The shipped files live in ``bangfu/engine/policies/``, one file per scope and year
(``national-2021.toml``, ``53-2021.toml`` for Yunnan, …)::

    year = 2021
    province = ""                  # "" = national; else the 2-digit province code
    [monitoring]
    threshold = { value = "6000", source = "…", confidence = "confirmed" }

A parameter's value for year Y and province P is the entry with the latest year ≤ Y, the
province's own entry winning over the national one of the same year or earlier (a province
that set its own threshold in 2022 keeps it in 2023 unless the nation sets a newer one).

Every key has a declared kind (``SCHEMA``): a money amount is a Decimal, a share an exact
Fraction, so a rule compares exactly what was written. An unknown key, a value of the wrong
kind or a missing source is refused when the file is read, naming the file and the key. The
engine never guesses: ``rule_policy`` lists every parameter a run needs that has no value in
force, and refuses to run (``MissingParameter``) rather than fall back on a default.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SCHEMA",
    "MissingParameter",
    "Parameter",
    "PolicyError",
    "RulePolicy",
    "load_file",
    "parse",
    "resolve",
    "rule_policy",
    "shipped",
]

Kind = Literal["money", "share", "int", "bool", "codes", "choice"]
CONFIDENCE = ("confirmed", "weak", "local_choice", "not_confirmed")
INCOME_DEFINITIONS = ("net", "after_rigid")


@dataclass(frozen=True)
class Key:
    kind: Kind
    help: str
    choices: tuple[str, ...] = ()


# Every parameter the platform knows (POLICY.md §8). Adding one here is the only way to use it.
SCHEMA: dict[str, Key] = {
    "poverty_line.constant_2010": Key("money", "national poverty line at 2010 prices"),
    "poverty_line.current": Key("money", "poverty line in current prices (元/person/year)"),
    "monitoring.threshold": Key("money", "monitoring income threshold (元/person/year)"),
    "monitoring.income_definition": Key(
        "choice",
        "income compared with the lines: net, or net after rigid spending",
        INCOME_DEFINITIONS,
    ),
    "monitoring.rigid_vs_previous_income": Key(
        "share",
        "rigid spending above this multiple of last year's net income is a shock "
        "(1 = more than last year's income)",
    ),
    "monitoring.rigid_share_of_income": Key(
        "share",
        "rigid spending above this share of this year's net income is a shock; false = rule off",
    ),
    "monitoring.income_drop_share": Key(
        "share", "net income falling by more than this share year on year is a collapse"
    ),
    "monitoring.identify_deadline_days": Key("int", "days from alert to decision"),
    "monitoring.measure_deadline_days": Key("int", "days from admission to a support measure"),
    "risk_elimination.min_stable_months": Key("int", "months of stable income before closing"),
    "risk_elimination.defer_for_no_labour": Key(
        "bool", "households without labour are not closed while they depend on protection"
    ),
    "exit.max_incidence": Key("share", "village/county exit: poverty incidence below this"),
    "exit.max_incidence_west": Key("share", "the same in the western provinces"),
    "region.west": Key("bool", "the province counts as western (西部) for exit incidence"),
    "housing.safe_grades": Key("codes", "house safety grades that count as safe"),
    "water.min_litres_rich": Key("money", "water quantity, water-rich areas (L/person/day)"),
    "water.min_litres_scarce": Key("money", "water quantity, water-scarce areas"),
    "water.max_trip_minutes": Key("int", "longest round trip to fetch water (minutes)"),
    "water.max_horizontal_m": Key("int", "longest horizontal distance (m); 0 = no criterion"),
    "water.max_vertical_m": Key("int", "largest height difference (m); 0 = no criterion"),
    "water.max_interruption_days": Key("int", "most days without water a year"),
    "education.school_age_from": Key("int", "compulsory-education age, from"),
    "education.school_age_to": Key("int", "compulsory-education age, to"),
    "medical.required_insurance": Key("codes", "insurances every member must have"),
}

Value = Decimal | Fraction | int | bool | frozenset[str] | str | None


class PolicyError(ValueError):
    """A policy file or row is invalid (the message names the file and the key)."""


class MissingParameter(LookupError):
    """A parameter needed has no value in force (the message names every one missing)."""

    def __init__(self, keys: Iterable[str], year: int, province: str) -> None:
        self.keys = sorted(keys)
        where = f"province {province}" if province else "the nation"
        super().__init__(
            f"No value in force for {year} ({where}) for: {', '.join(self.keys)}. "
            "Add it to a policy file or the policy table; Bangfu does not guess."
        )


@dataclass(frozen=True)
class Parameter:
    key: str
    year: int
    province: str  # "" national, else a 2-digit province code
    value: Value  # None only for a share rule switched off (written as false)
    source: str
    confidence: str = "confirmed"

    def as_json(self) -> Any:
        """The value as JSON (the database stores it so): exact numbers as strings."""
        v = self.value
        if v is None:  # a share rule switched off, written as false in the files
            return False
        if isinstance(v, frozenset):
            return sorted(v)
        if isinstance(v, Decimal | Fraction):
            return str(v)
        return v


def _province(raw: Any, where: str) -> str:
    text = str(raw or "").strip()
    if text and not (len(text) >= 2 and text[:2].isdigit() and set(text[2:]) <= {"0"}):
        raise PolicyError(f"{where}: province {raw!r} is not a province code such as '53'")
    return text[:2]


def convert(key: str, raw: Any, where: str) -> Value:
    """The typed value of ``key`` from a file or database value; PolicyError if it does not fit."""
    spec = SCHEMA.get(key)
    if spec is None:
        raise PolicyError(f"{where}: unknown parameter {key!r} (known: see engine/policy.py)")
    bad = PolicyError(f"{where}: {key} = {raw!r} is not a {spec.kind} ({spec.help})")
    if spec.kind == "bool":
        if not isinstance(raw, bool):
            raise bad
        return raw
    if spec.kind == "codes":
        if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
            raise bad
        return frozenset(raw)
    if spec.kind == "choice":
        if raw not in spec.choices:
            raise PolicyError(f"{where}: {key} = {raw!r}: choose one of {', '.join(spec.choices)}")
        return str(raw)
    if isinstance(raw, bool):  # a share rule written as false is switched off
        if raw is False and spec.kind == "share":
            return None
        raise bad
    return _number(spec.kind, raw, bad)


def _number(kind: Kind, raw: Any, bad: PolicyError) -> Value:
    if isinstance(raw, float):
        raw = repr(raw)  # what was typed in the file, not the binary float
    try:
        if kind == "int":
            if isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit()):
                return int(raw)
            raise bad
        if kind == "money":
            amount = Decimal(str(raw).strip())
            if not amount.is_finite() or amount < 0:
                raise bad
            return amount
        share = Fraction(str(raw).strip())
    except (InvalidOperation, ValueError, ZeroDivisionError):
        raise bad from None
    if share < 0:
        raise bad
    return share


def parse(text: str, source: str) -> list[Parameter]:
    """The parameters of one policy file's text (``source`` names it in errors)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    year = doc.pop("year", None)
    if not isinstance(year, int) or not 1980 <= year <= 2100:
        raise PolicyError(f"{source}: 'year' must be given as a year such as 2021")
    province = _province(doc.pop("province", ""), source)
    out: list[Parameter] = []
    for key, entry in _leaves(doc):
        where = f"{source}: {key}"
        if not isinstance(entry, dict) or "value" not in entry:
            raise PolicyError(f'{where}: write {{ value = …, source = "…" }}')
        extra = set(entry) - {"value", "source", "confidence"}
        if extra:
            raise PolicyError(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
        cited = str(entry.get("source", "")).strip()
        if not cited:
            raise PolicyError(f"{where}: every value needs its source")
        confidence = str(entry.get("confidence", "confirmed"))
        if confidence not in CONFIDENCE:
            raise PolicyError(f"{where}: confidence must be one of {', '.join(CONFIDENCE)}")
        value = convert(key, entry["value"], where)
        out.append(Parameter(key, year, province, value, cited, confidence))
    return out


def _leaves(doc: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(dotted key, entry) for every parameter: a table holding ``value`` is an entry."""
    for name, item in doc.items():
        key = f"{prefix}{name}"
        if isinstance(item, dict) and "value" not in item:
            yield from _leaves(item, key + ".")
        else:
            yield key, item


def load_file(path: str | Path) -> list[Parameter]:
    path = Path(path)
    return parse(path.read_text("utf-8"), path.name)


def shipped() -> list[Parameter]:
    """Every parameter in the files shipped with Bangfu (``bangfu/engine/policies``)."""
    folder = resources.files("bangfu.engine").joinpath("policies")
    params: list[Parameter] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            params.extend(parse(entry.read_text("utf-8"), entry.name))
    _refuse_duplicates(params)
    return params


def _refuse_duplicates(params: Iterable[Parameter]) -> None:
    seen: set[tuple[str, int, str]] = set()
    for p in params:
        ident = (p.key, p.year, p.province)
        if ident in seen:
            raise PolicyError(f"{p.key} for {p.year} ({p.province or 'national'}) given twice")
        seen.add(ident)


def resolve(params: Iterable[Parameter], key: str, year: int, province: str) -> Parameter | None:
    """The entry in force for ``key`` in ``year`` and ``province`` (2 digits or ''), or None."""
    province = province[:2]
    best: Parameter | None = None
    for p in params:
        if p.key != key or p.year > year or p.province not in ("", province):
            continue
        if best is None or (p.year, p.province != "") > (best.year, best.province != ""):
            best = p
    return best


# The parameters a monitoring run reads; all must be in force (a share rule may be off).
RULE_KEYS = (
    "poverty_line.current",
    "monitoring.threshold",
    "monitoring.income_definition",
    "monitoring.rigid_vs_previous_income",
    "monitoring.rigid_share_of_income",
    "monitoring.income_drop_share",
    "monitoring.identify_deadline_days",
    "monitoring.measure_deadline_days",
    "risk_elimination.min_stable_months",
    "risk_elimination.defer_for_no_labour",
    "exit.max_incidence",
    "exit.max_incidence_west",
    "region.west",
)


@dataclass(frozen=True)
class RulePolicy:
    """The parameters of one monitoring run, typed, with the entries they came from."""

    year: int
    province: str
    poverty_line: Decimal
    threshold: Decimal
    income_definition: str
    rigid_vs_previous_income: Fraction | None
    rigid_share_of_income: Fraction | None
    income_drop_share: Fraction
    identify_deadline_days: int
    measure_deadline_days: int
    min_stable_months: int
    defer_for_no_labour: bool
    max_incidence: Fraction  # the one that applies to this province (west or not)
    sources: dict[str, Parameter] = field(default_factory=dict, compare=False)

    @property
    def version(self) -> str:
        """A short hash of every value and its origin: equal versions ⇔ equal rules."""
        payload = sorted(
            (k, json.dumps(p.as_json()), p.year, p.province) for k, p in self.sources.items()
        )
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:12]

    def described(self) -> dict[str, Any]:
        """Every value with its year, scope, source and confidence (for run records and pages)."""
        return {
            k: {
                "value": p.as_json(),
                "year": p.year,
                "province": p.province,
                "source": p.source,
                "confidence": p.confidence,
            }
            for k, p in sorted(self.sources.items())
        }


def rule_policy(
    params: Iterable[Parameter], year: int, province: str, overrides: Mapping[str, Any] = {}
) -> RulePolicy:
    """The typed rules for ``year`` and ``province``; MissingParameter names all that are missing.

    ``overrides`` (key → raw value) replaces values for a what-if without touching the data;
    each is checked like a file value.
    """
    params = list(params)
    province = province[:2]
    found: dict[str, Parameter] = {}
    missing = []
    for key in RULE_KEYS:
        entry = resolve(params, key, year, province)
        if key in overrides:
            value = convert(key, overrides[key], f"what-if {key}")
            entry = Parameter(key, year, province, value, "what-if (not in force)", "local_choice")
        if entry is None:
            missing.append(key)
        else:
            found[key] = entry
    if missing:
        raise MissingParameter(missing, year, province)
    if found["monitoring.income_drop_share"].value is None:
        raise PolicyError("monitoring.income_drop_share cannot be switched off")

    def v(key: str) -> Any:
        return found[key].value

    west = bool(v("region.west"))
    return RulePolicy(
        year=year,
        province=province,
        poverty_line=v("poverty_line.current"),
        threshold=v("monitoring.threshold"),
        income_definition=v("monitoring.income_definition"),
        rigid_vs_previous_income=v("monitoring.rigid_vs_previous_income"),
        rigid_share_of_income=v("monitoring.rigid_share_of_income"),
        income_drop_share=v("monitoring.income_drop_share"),
        identify_deadline_days=v("monitoring.identify_deadline_days"),
        measure_deadline_days=v("monitoring.measure_deadline_days"),
        min_stable_months=v("risk_elimination.min_stable_months"),
        defer_for_no_labour=v("risk_elimination.defer_for_no_labour"),
        max_incidence=v("exit.max_incidence_west" if west else "exit.max_incidence"),
        sources=found,
    )
