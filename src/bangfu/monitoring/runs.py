"""Monitoring runs: read the registry, apply the rules in force, write results and alerts.

``run_create`` records a queued run (administrators only); ``run_execute`` carries it out —
from ``bangfu monitor`` directly, or from the background task behind the page's button — and
reports its stage and progress on the run row as it goes. ``what_if`` applies changed
parameters to the same input and compares, writing nothing.

One run = one region (or everything) and one year. The rules of each province in it come from
the policy table (``registry.policy.rule_policy``); a missing parameter fails the run naming
every one missing, before anything is written. The results and alerts are written in one
transaction: a run that fails leaves no half-written worklist.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import polars as pl
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from bangfu.accounts.models import Role
from bangfu.audit.models import AuditAction
from bangfu.audit.services import audit_record
from bangfu.core.errors import BangfuError, ErrorCode, not_found
from bangfu.engine import rules
from bangfu.engine.policy import MissingParameter, PolicyError, RulePolicy
from bangfu.monitoring.models import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertStatus,
    MonitoringRun,
    RunResult,
    RunStatus,
)
from bangfu.monitoring.reading import RegistryFrames, read_registry
from bangfu.regions.models import Region
from bangfu.regions.scope import RegionScope
from bangfu.registry.policy import rule_policy

Progress = Callable[[str, int], None]
ENGINES = ("polars", "spark")
BATCH = 5000

# Columns of the rules' output a result row keeps (→ RunResult fields).
RESULT_FIELDS = {
    "category": "category",
    "reasons": "reasons",
    "risk_types": "risk_types",
    "guarantees_failed": "guarantees_failed",
    "income_fen": "income_fen",
    "threshold_fen": "threshold_fen",
    "line_fen": "line_fen",
    "rigid_fen": "rigid_fen",
    "prev_net_income_fen": "prev_income_fen",
    "alert": "alert",
    "elimination": "elimination",
    "elimination_reasons": "elimination_reasons",
    "exit_ok": "exit_ok",
    "exit_reasons": "exit_reasons",
}
ALERT_VALUES = (
    "income_fen",
    "threshold_fen",
    "line_fen",
    "rigid_fen",
    "prev_net_income_fen",
    "net_income_pc_fen",
    "prev_net_income_pc_fen",
    "guarantees_failed",
)


def may_run(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.role == Role.ADMIN
    )


def run_create(
    *, actor: Any, year: int, region_code: str | None = None, engine: str = "polars"
) -> MonitoringRun:
    """A queued run; only administrators (or the command line, actor None) start runs."""
    if actor is not None and not may_run(actor):
        raise BangfuError(ErrorCode.PERMISSION_DENIED, _("Only administrators start runs."))
    if engine not in ENGINES:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, f"engine: choose one of {ENGINES}")
    if not 2000 <= year <= 2100:
        raise BangfuError(ErrorCode.VALIDATION_ERROR, _("year: give a year such as 2025"))
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            raise not_found(ErrorCode.REGION_NOT_FOUND, _("region"))
    return MonitoringRun.objects.create(
        year=year, region=region, engine=engine, started_by=actor, stage="queued"
    )


def _report(run: MonitoringRun, progress: Progress | None) -> Progress:
    def report(stage: str, percent: int) -> None:
        MonitoringRun.objects.filter(pk=run.pk).update(stage=stage, progress=percent)
        if progress is not None:
            progress(stage, percent)

    return report


def policies_for(
    year: int, provinces: list[str], overrides: Mapping[str, Any] = {}
) -> dict[str, RulePolicy]:
    """The rules in force per province; one error naming every missing parameter."""
    found: dict[str, RulePolicy] = {}
    problems = []
    for province in provinces:
        try:
            found[province] = rule_policy(year, province, overrides)
        except (MissingParameter, PolicyError) as exc:
            problems.append(str(exc))
    if problems:
        raise BangfuError(ErrorCode.MONITORING_POLICY_MISSING, " ".join(problems))
    return found


def evaluate(
    frames: RegistryFrames, year: int, policies: Mapping[str, RulePolicy], engine: str = "polars"
) -> pl.DataFrame:
    """The rules' flags for every household of the frames (Polars, or Spark in local mode);
    without the code lists, which ``rules.with_codes`` adds to the rows a run keeps."""
    inputs = {k: v.lazy() for k, v in frames.as_dict().items()}
    if engine == "spark":
        from bangfu.engine.spark import spark_frames, to_polars

        inputs = spark_frames(frames.as_dict())
        facts = rules.household_facts(**inputs, year=year)
        spark_out: pl.DataFrame = to_polars(rules.flags(facts, policies))
        return spark_out.sort("household_id")
    facts = rules.household_facts(**inputs, year=year)
    result = rules.flags(facts, policies).collect()
    assert isinstance(result, pl.DataFrame)
    return result


def run_execute(run_id: int, progress: Progress | None = None) -> MonitoringRun:
    """Carry out a queued run; the run row says how it ended (also on failure)."""
    run = MonitoringRun.objects.select_related("region").get(pk=run_id)
    report = _report(run, progress)
    started = time.perf_counter()
    MonitoringRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    try:
        _execute(run, report)
    except Exception as exc:
        message = exc.message if isinstance(exc, BangfuError) else f"{type(exc).__name__}: {exc}"
        MonitoringRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=message, finished_at=timezone.now(), stage="failed"
        )
        raise
    MonitoringRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        stage="done",
        progress=100,
        finished_at=timezone.now(),
        seconds=round(time.perf_counter() - started, 3),
    )
    run.refresh_from_db()
    return run


def _execute(run: MonitoringRun, report: Progress) -> None:
    today = timezone.localdate()
    clock = _Stopwatch()
    report("reading", 5)
    frames = read_registry(run.year, run.region.code if run.region else None, today)
    clock.lap("read")
    provinces = sorted(frames.households["province"].unique().to_list())
    report("policy", 30)
    policies = policies_for(run.year, provinces)
    report("rules", 40)
    out = evaluate(frames, run.year, policies, run.engine)
    clock.lap("rules")
    report("writing", 70)
    with transaction.atomic():
        previous = _previous_run(run)
        summary = _write(run, out, previous, policies, today)
        summary |= _incidence_summary(frames, policies)
        clock.lap("write")
        summary["seconds_by_stage"] = clock.laps
        MonitoringRun.objects.filter(pk=run.pk).update(
            policy_versions={p: pol.version for p, pol in policies.items()},
            policy={p: pol.described() for p, pol in policies.items()},
            input_hash=frames.input_hash,
            households=frames.households.height,
            summary=summary,
        )
        audit_record(
            actor=run.started_by,
            action=AuditAction.ACTION,
            obj=run,
            after={"year": run.year, "input_hash": frames.input_hash, **summary["counts"]},
            reason=gettext_noop("monitoring run"),
        )


class _Stopwatch:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _previous_run(run: MonitoringRun) -> MonitoringRun | None:
    return (
        MonitoringRun.objects.filter(
            year=run.year, region=run.region, status=RunStatus.DONE, pk__lt=run.pk
        )
        .order_by("-pk")
        .first()
    )


def _kept(out: pl.DataFrame, previous: MonitoringRun | None) -> pl.DataFrame:
    """Rows worth a result: singled out now, or by the previous run (for the diff)."""
    before: list[int] = []
    if previous is not None:
        before = list(previous.results.exclude(category="").values_list("household_id", flat=True))
    return out.filter(
        pl.col("category").is_not_null()
        | pl.col("elimination").is_not_null()
        | pl.col("registered_poor")
        | pl.col("household_id").is_in(before)
    )


def _write(
    run: MonitoringRun,
    out: pl.DataFrame,
    previous: MonitoringRun | None,
    policies: Mapping[str, RulePolicy],
    today: date,
) -> dict[str, Any]:
    kept = rules.with_codes(_kept(out, previous)).with_columns(
        pl.col("category").fill_null(""), pl.col("elimination").fill_null("")
    )
    columns = ["household_id", *RESULT_FIELDS]
    fields = ["household_id", *RESULT_FIELDS.values()]
    rows = ((run.pk, *row) for row in kept.select(columns).iter_rows())
    insert_rows(RunResult, ["run_id", *fields], rows)
    raised, updated = _alerts(run, kept.filter(pl.col("alert")), policies, today)
    counts = _counts(out) | {"alerts_new": raised, "alerts_updated": updated}
    return {"counts": counts, "by_county": by_county(out)}


def insert_rows(
    model: type[models.Model], fields: list[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """INSERT plain rows with executemany, BATCH at a time: a run writes ~10⁵ of them, and the
    ORM's bulk_create splits them into statements of ~60 rows on SQLite (its variable limit)
    and prepares every value in Python. Values must already be what the columns store, except
    JSON (prepared by its field here)."""
    meta = model._meta
    # get_field("household_id") finds the foreign key too; every name here is a concrete field.
    columns = [str(getattr(meta.get_field(f), "column", f)) for f in fields]
    prepare = {
        i: meta.get_field(f)
        for i, f in enumerate(fields)
        if isinstance(meta.get_field(f), models.JSONField)
    }
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    written = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            if prepare:
                batch = [_prepared(row, prepare) for row in batch]
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def _prepared(row: tuple[Any, ...], prepare: dict[int, Any]) -> tuple[Any, ...]:
    values = list(row)
    for i, field in prepare.items():
        values[i] = field.get_db_prep_save(values[i], connection)
    return tuple(values)


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _alert_values(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ALERT_VALUES if row.get(k) not in (None, "")}


ALERT_FIELDS = ("category", "reasons", "risk_types", "values")
NEW_ALERT_FIELDS = [
    "household_id",
    "run_id",
    "last_run_id",
    "still_flagged",
    *ALERT_FIELDS,
    "status",
    "raised_on",
    "due_on",
    "visit_notes",
    "consent",
    "dismiss_reason",
]


def _alert_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": row["category"],
        "reasons": row["reasons"],
        "risk_types": [r for r in row["risk_types"].split(",") if r],
        "values": _alert_values(row),
    }


def _alerts(
    run: MonitoringRun, flagged: pl.DataFrame, policies: Mapping[str, RulePolicy], today: date
) -> tuple[int, int]:
    """Raise an alert per flagged household, or refresh the one still waiting; alerts waiting in
    the run's region that the run no longer flags are marked so (never deleted).

    A re-run touches every waiting alert of its region, so it writes in set operations: one
    UPDATE marks them all "no longer flagged" by this run, chunked UPDATEs mark the flagged ones
    back, and only alerts whose reasons or values changed are rewritten one by one.
    """
    waiting = Alert.objects.filter(status__in=OPEN_ALERT_STATUSES)
    if run.region is not None:
        waiting = waiting.filter(RegionScope.of([run.region.code]).q("household__village__code"))
    current = {row[1]: row for row in waiting.values_list("pk", "household_id", *ALERT_FIELDS)}
    new, still, changed = [], [], {}
    for row in flagged.iter_rows(named=True):
        fields = _alert_fields(row)
        existing = current.get(row["household_id"])
        if existing is None:
            deadline = policies[row["province"]].identify_deadline_days
            new.append(
                (
                    row["household_id"],
                    run.pk,
                    run.pk,
                    True,
                    *(fields[f] for f in ALERT_FIELDS),
                    AlertStatus.OPEN.value,
                    today,
                    today + timedelta(days=deadline),
                    "",
                    False,
                    "",
                )
            )
            continue
        still.append(existing[0])
        if dict(zip(ALERT_FIELDS, existing[2:], strict=True)) != fields:
            changed[existing[0]] = fields
    waiting.update(still_flagged=False, last_run=run)
    for start in range(0, len(still), BATCH):
        Alert.objects.filter(pk__in=still[start : start + BATCH]).update(still_flagged=True)
    for pk, fields in changed.items():
        Alert.objects.filter(pk=pk).update(**fields)
    insert_rows(Alert, NEW_ALERT_FIELDS, new)
    return len(new), len(still)


def _counts(out: pl.DataFrame) -> dict[str, int]:
    flags = (
        "below_line",
        "below_threshold",
        "guarantee_failure",
        "rigid_shock",
        "income_collapse",
        "income_missing",
        "alert",
        "registered_poor",
    )
    counts = {flag: int(out[flag].sum()) for flag in flags}
    counts |= {f"category_{c}": int((out["category"] == c).sum()) for c in rules.CATEGORIES}
    for outcome in ("eligible", "deferred_no_labour", "not_yet"):
        counts[f"elimination_{outcome}"] = int((out["elimination"] == outcome).sum())
    counts["exit_ok"] = int(out["exit_ok"].fill_null(False).sum())
    counts["households"] = out.height
    return counts


def by_county(out: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Per county: households, categorised households by category, alerts."""
    grouped = out.group_by("county").agg(
        pl.len().alias("households"),
        pl.col("category").is_not_null().sum().alias("categorised"),
        pl.col("alert").sum().alias("alerts"),
        *((pl.col("category") == c).sum().alias(c) for c in rules.CATEGORIES),
    )
    return {
        row.pop("county"): {k: int(v) for k, v in row.items()}
        for row in grouped.sort("county").iter_rows(named=True)
    }


def _incidence_summary(
    frames: RegistryFrames, policies: Mapping[str, RulePolicy]
) -> dict[str, Any]:
    households = frames.households
    counties = rules.incidence(households, policies, by=["county"])
    villages = rules.incidence(households, policies, by=["village"])
    return {
        "counties": {
            row["county"]: {
                "households": row["households"],
                "persons": row["persons"],
                "poor_persons": row["poor_persons"],
                "incidence": row["incidence"],
                "max_incidence": row["max_incidence"],
                "exit_ok": row["exit_ok"],
            }
            for row in counties.iter_rows(named=True)
        },
        "villages": {
            "total": villages.height,
            "exit_ok": int(villages["exit_ok"].fill_null(False).sum()),
        },
    }
