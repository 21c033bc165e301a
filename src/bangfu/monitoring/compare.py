"""Comparing outcomes: two runs (who entered, who left, why) and a what-if (changed rules on
the same registry, writing nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils import timezone
from django.utils.translation import gettext as _

from bangfu.accounts.scopes import scope_for
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.engine import rules
from bangfu.engine.policy import RULE_KEYS
from bangfu.monitoring.models import MonitoringRun, RunResult
from bangfu.monitoring.reading import read_registry
from bangfu.monitoring.runs import by_county, evaluate, policies_for
from bangfu.registry.models import Household
from bangfu.registry.selectors import household_list

SHOWN = 500  # households listed per side; the counts are always complete


@dataclass
class Change:
    household_id: int
    household_no: str
    head_name: str
    village: str
    before: str  # category before ('' = none)
    after: str
    reasons_before: str = ""
    reasons_after: str = ""
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comparison:
    entered: list[Change]
    left: list[Change]
    changed: list[Change]
    counts: dict[str, int]  # entered, left, changed (complete, in the user's view scope)
    by_county: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


def run_get(*, user: Any, pk: int) -> MonitoringRun:
    """Runs hold counts only (no personal data): every signed-in user may read them."""
    run = MonitoringRun.objects.filter(pk=pk).select_related("region", "started_by").first()
    if run is None or not getattr(user, "is_authenticated", False):
        raise not_found(ErrorCode.MONITORING_RUN_NOT_FOUND, _("run"))
    return run


def _households(user: Any, ids: list[int]) -> dict[int, Household]:
    """The households among ``ids`` that the user may see (the registry's scoped selector)."""
    return {h.pk: h for h in household_list(user=user).filter(pk__in=ids)}


def _changes(user: Any, rows: list[dict[str, Any]]) -> tuple[list[Change], int]:
    """The rows the user may see (at most SHOWN of them) and how many there are in all."""
    found = _households(user, [r["household_id"] for r in rows])
    visible = [r for r in rows if r["household_id"] in found]
    changes = []
    for row in visible[:SHOWN]:
        household = found[row["household_id"]]
        changes.append(
            Change(
                household_id=household.pk,
                household_no=household.household_no,
                head_name=household.head_name,
                village=household.village.name_zh,
                before=row.get("before") or "",
                after=row.get("after") or "",
                reasons_before=row.get("reasons_before") or "",
                reasons_after=row.get("reasons_after") or "",
                values={k: row[k] for k in ("income_fen", "threshold_fen") if row.get(k)},
            )
        )
    return changes, len(visible)


def _compare(user: Any, joined: pl.DataFrame) -> Comparison:
    before, after = pl.col("before").fill_null(""), pl.col("after").fill_null("")
    entered = joined.filter((before == "") & (after != "")).sort("household_id").to_dicts()
    left = joined.filter((before != "") & (after == "")).sort("household_id").to_dicts()
    changed = (
        joined.filter((before != "") & (after != "") & (before != after))
        .sort("household_id")
        .to_dicts()
    )
    (e, ne), (lft, nl), (c, nc) = (_changes(user, x) for x in (entered, left, changed))
    return Comparison(e, lft, c, {"entered": ne, "left": nl, "changed": nc})


def _results(run: MonitoringRun) -> pl.DataFrame:
    rows = RunResult.objects.filter(run=run).values_list(
        "household_id", "category", "reasons", "income_fen", "threshold_fen"
    )
    return pl.DataFrame(
        list(rows),
        schema={
            "household_id": pl.Int64,
            "category": pl.String,
            "reasons": pl.String,
            "income_fen": pl.Int64,
            "threshold_fen": pl.Int64,
        },
        orient="row",
    )


def run_diff(*, user: Any, first: MonitoringRun, second: MonitoringRun) -> Comparison:
    """Who entered, who left and who changed category between two runs (values of the second)."""
    a = _results(first).select(
        "household_id",
        pl.col("category").alias("before"),
        pl.col("reasons").alias("reasons_before"),
    )
    b = _results(second).rename({"category": "after", "reasons": "reasons_after"})
    joined = a.join(b, on="household_id", how="full", coalesce=True)
    return _compare(user, joined)


def _overrides(raw: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        raise BangfuError(
            ErrorCode.VALIDATION_ERROR, _("Unknown parameters: {keys}.").format(keys=unknown)
        )
    return {k: v for k, v in raw.items() if v not in (None, "")}


def what_if(*, user: Any, year: int, region_code: str, overrides: dict[str, Any]) -> Comparison:
    """Counts per county and the households entering or leaving the categories if the
    parameters were ``overrides``; reads the registry, writes nothing."""
    if not scope_for(user, "view").covers(region_code):
        raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    changes = _overrides(overrides)
    frames = read_registry(year, region_code, timezone.localdate())
    provinces = sorted(frames.households["province"].unique().to_list())
    now = rules.with_codes(evaluate(frames, year, policies_for(year, provinces)))
    then = rules.with_codes(evaluate(frames, year, policies_for(year, provinces, changes)))
    joined = now.select(
        "household_id",
        pl.col("category").alias("before"),
        pl.col("reasons").alias("reasons_before"),
    ).join(
        then.select(
            "household_id",
            pl.col("category").alias("after"),
            pl.col("reasons").alias("reasons_after"),
            "income_fen",
            "threshold_fen",
        ),
        on="household_id",
    )
    result = _compare(user, joined)
    result.by_county = {"before": by_county(now), "after": by_county(then)}
    return result
