"""Return-to-poverty monitoring rules (防止返贫监测, POLICY.md §3, §4), for every household at once.

Written with the Narwhals API, so the same functions run on Polars and on PySpark: a native
frame in, a native frame out (eager in gives eager out, lazy gives a lazy plan).

Input: the registry's frames
============================

``household_facts(households, members, incomes, guarantees, year=Y)`` joins them into one row
per household. Money is in integer **fen** (分), so every comparison with a line is exact:

* ``households``: ``household_id``, ``village``, ``township``, ``county``, ``province`` (region
  codes), ``status`` (the registry's status), ``household_type`` (``ordinary``/``exited``/''),
  ``size``, ``case_open`` (bool: an admitted monitoring case is open), ``case_months`` (whole
  months since its admission, null without a case).
* ``members``: ``household_id``, ``health``, ``disability_grade``, ``labour_skill`` (code lists
  of the same names).
* ``incomes``: ``household_id``, ``year``, ``net_income_fen``, ``net_income_pc_fen``,
  ``after_rigid_pc_fen``, ``wage_fen``, ``business_net_fen`` (income − costs),
  ``medical_fen``, ``education_fen``, ``rehabilitation_fen``, ``disaster_fen``: the years Y and
  Y − 1 are read.
* ``guarantees``: ``household_id``, ``year``, ``food_ok``, ``clothing_ok``, ``education_ok``,
  ``medical_ok``, ``housing_ok``, ``water_ok`` (the year Y assessment; none = not assessed).

Rules (``evaluate(facts, policies)``; ``policies`` maps a 2-digit province to its RulePolicy)
===========================================================================================

Each flag is a boolean column; the codes of the flags that hold are in ``reasons`` and the
values behind them stay in the row (income, lines, spending), so every alert explains itself.
``evaluate`` = ``with_codes(flags(facts, policies))``: ``flags`` computes every boolean
(including ``failed_<guarantee>``, ``risk_<type>``, ``too_recent``), the category, the
elimination outcome and the exit test; ``with_codes`` turns the booleans into the
comma-separated code lists. A monitoring run keeps a few rows in ten, so it applies
``with_codes`` to those rows only (building text for ten million rows costs seconds).

* ``income`` = the policy's income definition: ``net`` → net income per person,
  ``after_rigid`` → after rigid spending. ``income_missing``: no income record for Y.
* ``below_line``: income < poverty line; ``below_threshold``: income < monitoring threshold
  (strict, as for every income line: an income exactly on the threshold is not below it).
* ``guarantee_failure``: a guarantee of the year-Y assessment failed (``guarantees_failed``
  lists which); a household not assessed is not flagged here (``exit_reasons`` says so).
* ``rigid_shock`` (刚性支出骤增): rigid spending R (medical + education + rehabilitation +
  disaster) > r × last year's net income, r = ``monitoring.rigid_vs_previous_income``; or
  R > s × this year's net income, s = ``monitoring.rigid_share_of_income`` (when not off).
  Compared exactly: R·q > p·income for r = p/q.
* ``income_collapse`` (收入大幅缩减): last year's net income per person > 0 and it fell by more
  than d = ``monitoring.income_drop_share``: (prev − now)·q > p·prev.
* ``category`` (POLICY.md §4.1): ``unstable_exited`` (脱贫不稳定户) — an exited household
  (status ``exited`` or type ``exited``) with any flag above; ``marginal`` (边缘易致贫户) — an
  ordinary household (status ``ordinary``, never registered) below the threshold;
  ``sudden_hardship`` (突发严重困难户) — any other household not registered poor with a rigid
  shock or an income collapse, whatever its income. Registered poor households (not exited)
  are not monitoring objects: they have ``exit_*`` instead.
* ``risk_types`` (suggested, confirmed at the home visit; codes of the ``risk_type`` list):
  ``illness`` (a seriously or chronically ill member, or a rigid shock whose largest item is
  medical + rehabilitation, or the medical guarantee failed), ``disability`` (a disabled
  member), ``schooling`` (a rigid shock whose largest item is education, or the education
  guarantee failed), ``natural_disaster`` (a rigid shock whose largest item is disaster and
  accident spending: the registry keeps them in one figure, the visit tells which),
  ``industry_failure`` (collapse, with the business income falling at least as much as wages),
  ``unstable_employment`` (collapse, with wages falling more), ``lack_of_labour`` (no member
  with labour capacity), ``housing_safety``, ``water_safety`` (those guarantees failed). Only
  for categorised rows.
* ``alert``: categorised and no monitoring case open: goes to the worklist.
* ``elimination`` for an open case (风险消除, §4.5): ``eligible`` when the income is not below
  the threshold, no rigid shock, no guarantee failure and the case is at least
  ``risk_elimination.min_stable_months`` old (the registry keeps yearly incomes, so "stable
  for six months" is read as: admitted six months ago and this year's income above the
  threshold); ``deferred_no_labour`` when otherwise eligible but no member can work and the
  policy defers such households; else ``not_yet`` with ``elimination_reasons``.
* ``exit_ok`` for a registered poor household (§3.1): income ≥ poverty line (not poor) and the
  year's assessment passed every guarantee; ``exit_reasons`` lists what is missing.

``incidence(facts, policies, by=…)``: per group, persons and registered-poor persons, the
poverty incidence (贫困发生率) and ``exit_ok`` = incidence < the province's maximum
(2 %, 3 % in the west), compared exactly in integers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any, cast

import narwhals as nw

from bangfu.engine.frames import finish, lazy
from bangfu.engine.policy import RulePolicy

__all__ = [
    "CATEGORIES",
    "POOR_STATUSES",
    "RISK_TYPES",
    "evaluate",
    "flags",
    "household_facts",
    "incidence",
    "to_fen",
    "with_codes",
]

POOR_STATUSES = ("registered", "exit_proposed", "exit_verified", "exit_posted", "returned")
EXITED = "exited"
ORDINARY = "ordinary"
CATEGORIES = ("unstable_exited", "marginal", "sudden_hardship")
RISK_TYPES = (
    "illness",
    "disability",
    "schooling",
    "natural_disaster",
    "industry_failure",
    "unstable_employment",
    "lack_of_labour",
    "housing_safety",
    "water_safety",
)
GUARANTEES = ("food", "clothing", "education", "medical", "housing", "water")
ILL = ("serious_illness", "chronic_illness")
CAN_WORK = ("ordinary", "skilled", "weak_or_half")
RIGID = ("medical_fen", "education_fen", "rehabilitation_fen", "disaster_fen")
INCOME_COLUMNS = (
    "net_income_fen",
    "net_income_pc_fen",
    "after_rigid_pc_fen",
    "wage_fen",
    "business_net_fen",
    *RIGID,
)
PREVIOUS = ("net_income_fen", "net_income_pc_fen", "wage_fen", "business_net_fen")


def to_fen(amount: Decimal) -> int:
    """An amount in yuan as integer fen; refuses a fraction of a fen (lines are whole fen)."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(fen)


# ---------------------------------------------------------------------------- facts


def household_facts(
    households: Any, members: Any, incomes: Any, guarantees: Any, *, year: int
) -> Any:
    """One row per household with everything the rules read (see the module docstring)."""
    hh, eager = lazy(households)
    people = lazy(members)[0]
    money = lazy(incomes)[0]
    checks = lazy(guarantees)[0]
    member_counts = people.group_by("household_id").agg(
        nw.col("health").is_in(ILL).cast(nw.Int64()).sum().alias("members_ill"),
        (nw.col("disability_grade").fill_null("") != "")
        .cast(nw.Int64())
        .sum()
        .alias("members_disabled"),
        nw.col("labour_skill").is_in(CAN_WORK).cast(nw.Int64()).sum().alias("labour_members"),
    )
    now = money.filter(nw.col("year") == year).select("household_id", *INCOME_COLUMNS)
    before = money.filter(nw.col("year") == year - 1).select(
        "household_id", *(nw.col(c).alias(f"prev_{c}") for c in PREVIOUS)
    )
    assessed = checks.filter(nw.col("year") == year).select(
        "household_id", *(f"{g}_ok" for g in GUARANTEES)
    )
    facts = (
        hh.join(member_counts, on="household_id", how="left")
        .join(now, on="household_id", how="left")
        .join(before, on="household_id", how="left")
        .join(assessed, on="household_id", how="left")
        .with_columns(
            *(nw.col(c).fill_null(0) for c in ("members_ill", "members_disabled", "labour_members"))
        )
    )
    return finish(facts, eager)


# ---------------------------------------------------------------------------- policy constants


_PROVINCE = "__bf_province"  # the row's province as its index in the policies (null: none)


def _with_province_index(lf: nw.LazyFrame[Any], policies: Mapping[str, RulePolicy]) -> Any:
    """Compare the province text once per row; every parameter then reads a small integer."""
    index: Any = nw
    for i, province in enumerate(policies):
        index = index.when(nw.col("province") == province).then(nw.lit(i))
    return lf.with_columns(index.otherwise(None).cast(nw.Int32()).alias(_PROVINCE))


def _per_province(policies: Mapping[str, RulePolicy], value: Any) -> nw.Expr:
    """A column holding ``value(policy)`` of each row's province (null for an unknown one).
    Needs the column ``_with_province_index`` adds."""
    values = [value(policy) for policy in policies.values()]
    province = nw.col(_PROVINCE)
    if len(set(values)) == 1:  # one value: one test instead of a chain
        return nw.when(~province.is_null()).then(nw.lit(values[0]))
    expr: Any = nw
    for i, v in enumerate(values):
        expr = expr.when(province == i).then(nw.lit(v))
    return cast(nw.Expr, expr.otherwise(None))


def _ratio(policies: Mapping[str, RulePolicy], share: Any) -> tuple[nw.Expr, nw.Expr, nw.Expr]:
    """(on, p, q) columns for a per-province Fraction p/q that may be switched off (None)."""
    on = _per_province(policies, lambda pol: share(pol) is not None)
    p = _per_province(policies, lambda pol: _num(share(pol)))
    q = _per_province(policies, lambda pol: _den(share(pol)))
    return on, p, q


def _num(f: Fraction | None) -> int:
    return 0 if f is None else f.numerator


def _den(f: Fraction | None) -> int:
    return 1 if f is None else f.denominator


# ---------------------------------------------------------------------------- evaluate


def _codes(flags: Sequence[tuple[str, nw.Expr]]) -> nw.Expr:
    """The codes whose flag holds, comma-separated ('' when none)."""
    parts = [nw.when(flag).then(nw.lit(code)) for code, flag in flags]
    return nw.concat_str(parts, separator=",", ignore_nulls=True).fill_null("")


def _largest_rigid(item: str) -> nw.Expr:
    """The item is > 0 and no other rigid item is larger."""
    col = nw.col(item).fill_null(0)
    others = [nw.col(o).fill_null(0) for o in RIGID if o != item]
    larger_than_all = col > 0
    for other in others:
        larger_than_all = larger_than_all & (col >= other)
    return larger_than_all


def _income_flags(lf: nw.LazyFrame[Any], policies: Mapping[str, RulePolicy]) -> nw.LazyFrame[Any]:
    definition = _per_province(policies, lambda p: p.income_definition)
    income = (
        nw.when(definition == "after_rigid")
        .then(nw.col("after_rigid_pc_fen"))
        .otherwise(nw.col("net_income_pc_fen"))
    )
    lf = lf.with_columns(
        income.alias("income_fen"),
        _per_province(policies, lambda p: to_fen(p.poverty_line)).alias("line_fen"),
        _per_province(policies, lambda p: to_fen(p.threshold)).alias("threshold_fen"),
        sum((nw.col(c).fill_null(0) for c in RIGID[1:]), nw.col(RIGID[0]).fill_null(0)).alias(
            "rigid_fen"
        ),
    )
    rigid, prev = nw.col("rigid_fen"), nw.col("prev_net_income_fen")
    on_prev, p_prev, q_prev = _ratio(policies, lambda p: p.rigid_vs_previous_income)
    on_share, p_share, q_share = _ratio(policies, lambda p: p.rigid_share_of_income)
    _, p_drop, q_drop = _ratio(policies, lambda p: p.income_drop_share)
    prev_pc, now_pc = nw.col("prev_net_income_pc_fen"), nw.col("net_income_pc_fen")
    return lf.with_columns(
        nw.col("income_fen").is_null().alias("income_missing"),
        (nw.col("income_fen") < nw.col("line_fen")).fill_null(False).alias("below_line"),
        (nw.col("income_fen") < nw.col("threshold_fen")).fill_null(False).alias("below_threshold"),
        (
            (on_prev & ~prev.is_null() & (rigid * q_prev > p_prev * prev)).fill_null(False)
            | (
                on_share
                & ~nw.col("net_income_fen").is_null()
                & (rigid * q_share > p_share * nw.col("net_income_fen"))
            ).fill_null(False)
        ).alias("rigid_shock"),
        ((prev_pc > 0) & ((prev_pc - now_pc) * q_drop > p_drop * prev_pc))
        .fill_null(False)
        .alias("income_collapse"),
        (nw.col("prev_wage_fen") - nw.col("wage_fen")).alias("wage_drop_fen"),
        (nw.col("prev_business_net_fen") - nw.col("business_net_fen")).alias("business_drop_fen"),
    )


def _guarantee_flags(lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    failed = [
        (nw.col(f"{g}_ok") == False).fill_null(False).alias(f"failed_{g}")  # noqa: E712
        for g in GUARANTEES
    ]
    return lf.with_columns(
        *failed,
        nw.any_horizontal(*failed, ignore_nulls=True).alias("guarantee_failure"),
        nw.all_horizontal(
            *(nw.col(f"{g}_ok").is_null() for g in GUARANTEES), ignore_nulls=False
        ).alias("not_assessed"),
    )


def _category(lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    status, kind = nw.col("status"), nw.col("household_type").fill_null("")
    poor = status.is_in(POOR_STATUSES)
    exited = ~poor & ((status == EXITED) | (kind == EXITED))
    ordinary = ~poor & ~exited & (status == ORDINARY)
    shock = nw.col("rigid_shock") | nw.col("income_collapse")
    unstable = nw.col("below_threshold") | nw.col("guarantee_failure") | shock
    category = (
        nw.when(exited & unstable)
        .then(nw.lit("unstable_exited"))
        .when(ordinary & nw.col("below_threshold"))
        .then(nw.lit("marginal"))
        .when(~poor & shock)
        .then(nw.lit("sudden_hardship"))
        .otherwise(None)
    )
    return lf.with_columns(poor.alias("registered_poor"), category.alias("category"))


def _risk_flags(lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """``risk_<type>`` for every risk type (read only for categorised households)."""
    collapse = nw.col("income_collapse")
    wage_drop = nw.col("wage_drop_fen").fill_null(0)
    business_drop = nw.col("business_drop_fen").fill_null(0)
    medical_items = nw.col("medical_fen").fill_null(0) + nw.col("rehabilitation_fen").fill_null(0)
    other_rigid = [nw.col(c).fill_null(0) for c in ("education_fen", "disaster_fen")]
    medical_largest = (
        (medical_items > 0) & (medical_items >= other_rigid[0]) & (medical_items >= other_rigid[1])
    )
    # A spending item explains the risk only when the spending is a shock, not in every year.
    shock = nw.col("rigid_shock")
    risks = {
        "illness": (nw.col("members_ill") > 0) | (shock & medical_largest) | _failed("medical"),
        "disability": nw.col("members_disabled") > 0,
        "schooling": (shock & _largest_rigid("education_fen")) | _failed("education"),
        "natural_disaster": shock & _largest_rigid("disaster_fen"),
        "industry_failure": collapse & (business_drop > 0) & (business_drop >= wage_drop),
        "unstable_employment": collapse & (wage_drop > 0) & (wage_drop > business_drop),
        "lack_of_labour": nw.col("labour_members") == 0,
        "housing_safety": _failed("housing"),
        "water_safety": _failed("water"),
    }
    return lf.with_columns(*(flag.alias(f"risk_{name}") for name, flag in risks.items()))


def _failed(guarantee: str) -> nw.Expr:
    return nw.col(f"failed_{guarantee}")


def _elimination(lf: nw.LazyFrame[Any], policies: Mapping[str, RulePolicy]) -> nw.LazyFrame[Any]:
    months = _per_province(policies, lambda p: p.min_stable_months)
    defer = _per_province(policies, lambda p: p.defer_for_no_labour)
    lf = lf.with_columns((nw.col("case_months").fill_null(0) < months).alias("too_recent"))
    blocked = nw.any_horizontal(
        *(nw.col(flag) for _, flag in ELIMINATION_BLOCKERS), ignore_nulls=True
    )
    open_case = nw.col("case_open").fill_null(False)
    result = (
        nw.when(~open_case)
        .then(None)
        .when(blocked)
        .then(nw.lit("not_yet"))
        .when(defer & (nw.col("labour_members") == 0))
        .then(nw.lit("deferred_no_labour"))
        .otherwise(nw.lit("eligible"))
    )
    return lf.with_columns(result.alias("elimination"))


def _exit_check(lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    blocked = nw.any_horizontal(*(nw.col(flag) for _, flag in EXIT_PROBLEMS), ignore_nulls=True)
    poor = nw.col("registered_poor")
    return lf.with_columns(nw.when(poor).then(~blocked).otherwise(None).alias("exit_ok"))


# Each list of codes: (its column, the row condition for it, [(code, boolean column), …]).
REASONS = [
    ("income_below_threshold", "below_threshold"),
    ("guarantee_failure", "guarantee_failure"),
    ("rigid_spending_shock", "rigid_shock"),
    ("income_collapse", "income_collapse"),
]
ELIMINATION_BLOCKERS = [
    ("income_missing", "income_missing"),
    ("income_below_threshold", "below_threshold"),
    ("rigid_spending", "rigid_shock"),
    ("guarantee_failure", "guarantee_failure"),
    ("too_recent", "too_recent"),
]
EXIT_PROBLEMS = [
    ("income_missing", "income_missing"),
    ("income_below_line", "below_line"),
    ("guarantees_not_assessed", "not_assessed"),
    ("guarantee_failure", "guarantee_failure"),
]
CODE_COLUMNS: list[tuple[str, nw.Expr | None, list[tuple[str, str]]]] = [
    ("reasons", None, REASONS),
    ("guarantees_failed", None, [(g, f"failed_{g}") for g in GUARANTEES]),
    ("risk_types", ~nw.col("category").is_null(), [(r, f"risk_{r}") for r in RISK_TYPES]),
    ("elimination_reasons", nw.col("case_open").fill_null(False), ELIMINATION_BLOCKERS),
    ("exit_reasons", nw.col("registered_poor"), EXIT_PROBLEMS),
]


def flags(facts: Any, policies: Mapping[str, RulePolicy]) -> Any:
    """Every flag (boolean columns), the category, the elimination outcome and the exit test,
    without the code lists: ``with_codes`` adds those, to the rows that need them."""
    if not policies:
        raise ValueError("no policy given: name the rules in force for each province")
    lf, eager = lazy(facts)
    lf = _with_province_index(lf, policies)
    lf = _guarantee_flags(_income_flags(lf, policies))
    lf = _risk_flags(_category(lf))
    lf = _exit_check(_elimination(lf, policies))
    lf = lf.with_columns(
        (~nw.col("category").is_null() & ~nw.col("case_open").fill_null(False)).alias("alert"),
    )
    return finish(lf.drop(_PROVINCE), eager)


def with_codes(flagged: Any) -> Any:
    """The code lists, comma-separated, from the flags: ``reasons``, ``guarantees_failed``,
    ``risk_types`` (categorised rows), ``elimination_reasons`` (open cases), ``exit_reasons``
    (registered poor); '' where none. Cheap on the few rows a run keeps, costly on all."""
    lf, eager = lazy(flagged)
    columns = []
    for name, condition, codes in CODE_COLUMNS:
        text = _codes([(code, nw.col(flag)) for code, flag in codes])
        if condition is not None:
            text = nw.when(condition).then(text).otherwise(nw.lit(""))
        columns.append(text.alias(name))
    return finish(lf.with_columns(*columns), eager)


def evaluate(facts: Any, policies: Mapping[str, RulePolicy]) -> Any:
    """Flags, category, risk types, alert, elimination and exit check for every household, with
    the code lists (``with_codes(flags(facts, policies))``)."""
    return with_codes(flags(facts, policies))


def incidence(facts: Any, policies: Mapping[str, RulePolicy], *, by: Sequence[str]) -> Any:
    """Persons, registered-poor persons, incidence and the exit test per group of ``by``.

    Exact: every province's maximum is an integer over one common denominator ``L``, and a
    group passes iff poor persons × L < maximum × persons. A group spanning provinces with
    different maxima is judged by the strictest.
    """
    lf, eager = lazy(facts)
    common = lcm(*(p.max_incidence.denominator for p in policies.values()))
    persons = nw.col("size").cast(nw.Int64())
    poor = nw.col("status").is_in(POOR_STATUSES)
    grouped = (
        _with_province_index(lf, policies)
        .with_columns(
            _per_province(policies, lambda p: int(p.max_incidence * common)).alias("__max")
        )
        .group_by(*by)
        .agg(
            nw.len().alias("households"),
            persons.sum().alias("persons"),
            nw.when(poor).then(persons).otherwise(0).sum().alias("poor_persons"),
            poor.cast(nw.Int64()).sum().alias("poor_households"),
            nw.col("__max").min().alias("__max"),
        )
    )
    return finish(
        grouped.with_columns(
            (nw.col("poor_persons") / nw.col("persons")).alias("incidence"),
            (nw.col("__max").cast(nw.Float64()) / common).alias("max_incidence"),
            (nw.col("poor_persons") * common < nw.col("__max") * nw.col("persons")).alias(
                "exit_ok"
            ),
        )
        .drop("__max")
        .sort(*by),
        eager,
    )
